// Package password hashes and checks sign-in passwords with bcrypt.
//
// bcrypt reads at most 72 bytes, so two long passphrases sharing a prefix
// would collide. The password is first reduced with SHA-256 and base64 (44
// bytes), so every byte counts and the bcrypt input never exceeds its limit.
package password

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"sync"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Cost is bcrypt's work factor (about 50 ms on a current core).
const Cost = 11

// MinLength and MaxLength bound a new password, in characters.
const (
	MinLength = 8
	MaxLength = 1024
)

// ErrMismatch means the password does not match the hash.
var ErrMismatch = errors.New("password does not match")

func prehash(pw string) []byte {
	sum := sha256.Sum256([]byte(pw))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

// Hash returns the bcrypt hash of a new password, refusing unusable ones.
func Hash(pw string) (string, error) {
	n := utf8.RuneCountInString(pw)
	if n < MinLength {
		return "", errors.New("password must be at least 8 characters")
	}
	if n > MaxLength {
		return "", errors.New("password must be at most 1024 characters")
	}
	h, err := bcrypt.GenerateFromPassword(prehash(pw), Cost)
	if err != nil {
		return "", err
	}
	return string(h), nil
}

// Check compares a password with a stored hash.
func Check(hash, pw string) error {
	if len(pw) > 4*MaxLength {
		// Still spend the time, so length does not reveal anything.
		pw = pw[:4*MaxLength]
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), prehash(pw))
	if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
		return ErrMismatch
	}
	return err
}

var dummyHash = sync.OnceValue(func() string {
	h, _ := bcrypt.GenerateFromPassword(prehash("curfew-timing-equaliser"), Cost)
	return string(h)
})

// CheckNobody spends the same time as Check for a sign-in whose email is
// unknown, so the answer's timing does not tell which emails exist.
func CheckNobody(pw string) {
	_ = Check(dummyHash(), pw)
}
