package store

import (
	"strings"
	"unicode/utf8"
)

// Caps on the free text a request brings into a row: the client chooses it,
// so it is bounded before it reaches the append-only audit table or a
// session row, whichever handler passed it on.
const (
	MaxUserAgentBytes = 512
	MaxIPBytes        = 64
)

// CapText is s cut to at most n bytes on a character boundary, and made
// text PostgreSQL stores: bytes that are not UTF-8, and NUL, become U+FFFD.
// The store applies it to what it records; handlers use it for text they
// echo or log.
func CapText(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
