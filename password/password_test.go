package password

import (
	"strings"
	"testing"
)

func TestHashAndCheck(t *testing.T) {
	h, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(h, "correct horse battery"); err != nil {
		t.Errorf("right password refused: %v", err)
	}
	if err := Check(h, "wrong horse battery"); err != ErrMismatch {
		t.Errorf("wrong password: got %v, want ErrMismatch", err)
	}
}

// Two passphrases that share their first 72 bytes must not be interchangeable,
// which plain bcrypt would allow.
func TestLongPasswordsDifferBeyond72Bytes(t *testing.T) {
	prefix := strings.Repeat("a", 80)
	h, err := Hash(prefix + "one")
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(h, prefix+"two"); err != ErrMismatch {
		t.Errorf("password differing after byte 72 accepted: %v", err)
	}
	if err := Check(h, prefix+"one"); err != nil {
		t.Errorf("long password refused: %v", err)
	}
}

func TestHashRefusesUnusablePasswords(t *testing.T) {
	for name, pw := range map[string]string{"short": "1234567", "huge": strings.Repeat("x", MaxLength+1)} {
		t.Run(name, func(t *testing.T) {
			if _, err := Hash(pw); err == nil {
				t.Errorf("Hash(%d chars) accepted", len(pw))
			}
		})
	}
}
