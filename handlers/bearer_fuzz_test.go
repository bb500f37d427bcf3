package handlers

import (
	"strings"
	"testing"
)

// Whatever the Authorization header holds, parseBearer accepts only one
// "Bearer curfew_<43 base64url>" and returns exactly that token.
func FuzzParseBearer(f *testing.F) {
	for _, s := range []string{"Bearer curfew_" + strings.Repeat("A", 43), "bearer curfew_" + strings.Repeat("-", 43), "Bearer", "Basic abc",
		"Bearer  curfew_x", "Bearer curfew_" + strings.Repeat("A", 42) + "=", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		token, ok := parseBearer([]string{header})
		if !ok {
			if token != "" {
				t.Fatalf("refused %q but returned %q", header, token)
			}
			return
		}
		if len(token) != apiTokenLen || !strings.HasPrefix(token, apiTokenPrefix) || !strings.EqualFold(header[:7], "Bearer ") || header[7:] != token {
			t.Fatalf("accepted %q as %q", header, token)
		}
		if strings.Trim(token[len(apiTokenPrefix):], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("accepted a token with other characters: %q", token)
		}
	})
}
