package config_test

import (
	"strings"
	"testing"

	"curfew/config"
	"curfew/store"
)

func TestDBPooler(t *testing.T) {
	tests := []struct {
		value   string
		want    store.Pooler
		wantErr bool
	}{
		{"", store.PoolerNone, false},
		{"none", store.PoolerNone, false},
		{"session", store.PoolerSession, false},
		{" transaction ", store.PoolerTransaction, false},
		{"statement", "", true},
		{"Transaction", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := config.Load(func(k string) string {
				if k == "CURFEW_DB_POOLER" {
					return tt.value
				}
				return ""
			})
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "CURFEW_DB_POOLER") {
					t.Fatalf("CURFEW_DB_POOLER=%q: error %v, want one naming the variable", tt.value, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.DBPooler != tt.want {
				t.Errorf("CURFEW_DB_POOLER=%q: %q, want %q", tt.value, c.DBPooler, tt.want)
			}
		})
	}
}
