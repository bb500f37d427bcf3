package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"
)

// readJSONObject reads a request body that must be exactly one JSON object:
// 413 past the body limit, 400 (with hint as the message) for anything else.
func readJSONObject(body io.Reader, hint string) ([]byte, error) {
	raw, err := io.ReadAll(body)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return nil, he // too large
	}
	// The whole body, not just a first value: "{}}" is not one JSON object.
	raw = bytes.TrimSpace(raw)
	if err != nil || len(raw) == 0 || raw[0] != '{' || !json.Valid(raw) {
		return nil, &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: hint}
	}
	return raw, nil
}

// decodeJSON reads a request body that must be one JSON object with only known
// fields: 400 when it is not an object, 422 for wrong types or unknown fields.
func decodeJSON(c echo.Context, dst any) error {
	raw, err := readJSONObject(c.Request().Body, "The body must be one JSON object.")
	if err != nil {
		return err
	}
	strict := json.NewDecoder(bytes.NewReader(raw))
	strict.DisallowUnknownFields()
	err = strict.Decode(dst)
	if err == nil {
		if field, problem := jsonTextProblem(reflect.ValueOf(dst)); problem != "" {
			return textError(field, problem)
		}
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: "Some values have the wrong type.", Fields: map[string]string{te.Field: "must be " + jsonTypeName(te.Type.Kind().String())}}
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		field = strings.Trim(field, `"`)
		return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Message: "Unknown field " + field + ".", Fields: map[string]string{field: "is not a known field"}}
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Message: "The JSON object does not have the expected shape."}
}

func jsonTypeName(kind string) string {
	switch kind {
	case "int", "int64", "int32":
		return "a whole number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "ptr":
		return "a whole number or null"
	}
	return "of another type"
}
