package handlers

import (
	"curfew/store"
	"errors"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// PostgreSQL stores text as UTF-8 and refuses a NUL byte anywhere in it (and
// the escape \u0000 in jsonb), so a request value that reaches a query or an
// audit row must be valid UTF-8 without NUL. Values typed by a person are
// refused with a 422 naming the field (textProblem, requireStorableText);
// values Curfew only records, such as a path or a User-Agent, are made
// storable instead (storableText).

// textProblem says what keeps s from being stored as it was typed, or "" when
// nothing does: a NUL or another control character (tab, line breaks aside),
// or bytes that are not UTF-8.
func textProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8 text"
	}
	for _, r := range s {
		if r == 0 {
			return "contains a NUL character"
		}
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return "contains a control character"
		}
	}
	return ""
}

// storableText is s as Curfew records it: bytes that are not UTF-8 and
// control characters replaced by U+FFFD, and at most maxBytes bytes, cut on
// a character boundary.
func storableText(s string, maxBytes int) string {
	clean := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if b := s[i]; b < 0x20 || b == 0x7f || b >= 0x80 {
				return false
			}
		}
		return true
	}
	if !clean(s) {
		s = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return utf8.RuneError
			}
			return r
		}, strings.ToValidUTF8(s, string(utf8.RuneError)))
	}
	return store.CapText(s, maxBytes)
}

// textError is the 422 for a value that cannot be stored as typed, like any
// other value that fails validation.
func textError(field, problem string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		Message: "The field " + field + " " + problem + ". Remove it and try again.",
		Fields:  map[string]string{field: problem}}
}

// requireStorableText refuses a request whose query parameters or form
// fields are not storable text (textProblem), before a handler passes one to
// a query. It runs after the session and role checks, so a refused owner
// route is still refused, and audited, as such.
func requireStorableText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkValues(c.QueryParams()); err != nil {
			return err
		}
		if c.Request().Method != http.MethodGet && isFormBody(c.Request()) {
			form, err := c.FormParams()
			var he *echo.HTTPError
			if errors.As(err, &he) {
				return he // past the body limit: 413
			}
			if err != nil {
				return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: "The form could not be read."}
			}
			if err := checkValues(form); err != nil {
				return err
			}
		}
		return next(c)
	}
}

func isFormBody(r *http.Request) bool {
	ct := r.Header.Get(echo.HeaderContentType)
	return strings.HasPrefix(ct, echo.MIMEApplicationForm) || strings.HasPrefix(ct, echo.MIMEMultipartForm)
}

// checkValues names the first field, in the order of the names so the
// answer does not depend on map order, whose name or value is not storable.
// A password is never stored, only checked, so it may hold any character.
func checkValues(values map[string][]string) *Error {
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if p := textProblem(k); p != "" {
			return textError(strconv.Quote(storableText(k, 64)), "is a field name that "+p)
		}
		if k == "password" {
			continue
		}
		for _, v := range values[k] {
			if p := textProblem(v); p != "" {
				return textError(k, p)
			}
		}
	}
	return nil
}

// jsonTextProblem walks a decoded JSON body for a string that cannot be
// stored (valid UTF-8 is guaranteed by encoding/json, a \u0000 is not) and
// returns the JSON name of its field.
func jsonTextProblem(v reflect.Value) (field, problem string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return jsonTextProblem(v.Elem())
		}
	case reflect.String:
		return "", textProblem(v.String())
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			if _, p := jsonTextProblem(v.Field(i)); p != "" {
				name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
				if name == "" {
					name = t.Field(i).Name
				}
				if name == "password" {
					continue // never stored, only checked
				}
				return name, p
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if _, p := jsonTextProblem(it.Value()); p != "" {
				return storableText(it.Key().String(), 64), p
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if f, p := jsonTextProblem(v.Index(i)); p != "" {
				return f, p
			}
		}
	}
	return "", ""
}
