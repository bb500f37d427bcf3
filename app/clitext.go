package app

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// checkText refuses a name or email given on the command line that holds a
// line break or another control character, or bytes that are not UTF-8:
// such a value would forge lines in logs and exports, or fail in PostgreSQL.
// what names the flag or argument in the message.
func checkText(what, s string) error {
	if !utf8.ValidString(s) {
		return UsageError{fmt.Sprintf("%s %q is not valid UTF-8 text", what, s)}
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return UsageError{fmt.Sprintf("%s %q contains a control character (%U); line breaks and tabs are not allowed", what, s, r)}
		}
	}
	return nil
}
