package handlers_test

import (
	"os"
	"testing"

	"curfew/internal/apptest"
)

func TestMain(m *testing.M) { os.Exit(apptest.Main(m)) }
