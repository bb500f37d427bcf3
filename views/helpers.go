package views

import (
	"encoding/json"
	"net/http"
	"strconv"
)

func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

func statusText(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code)
}

// StatusTitle is the page title for an error status.
func StatusTitle(code int) string { return http.StatusText(code) }
