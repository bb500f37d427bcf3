package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/store"
)

// encodeCursor writes a cursor as "<unix microseconds>_<id>": PostgreSQL keeps
// microseconds, so the next page starts exactly after the last row.
func encodeCursor(k *store.SessionCursor) string {
	if k == nil {
		return ""
	}
	return strconv.FormatInt(k.LastSeenAt.UnixMicro(), 10) + "_" + k.ID
}

// parseCursor reads an "after" value; empty means the first page.
func parseCursor(v string) (*store.SessionCursor, bool) {
	if v == "" {
		return nil, true
	}
	micros, id, ok := strings.Cut(v, "_")
	if !ok || !store.ValidSessionID(id) {
		return nil, false
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || us < 0 {
		return nil, false
	}
	return &store.SessionCursor{LastSeenAt: time.UnixMicro(us).UTC(), ID: id}, true
}

// sessionListCursor reads ?after= for the session pages; a broken link is
// a 400 that says what to do.
func sessionListCursor(c echo.Context) (*store.SessionCursor, error) {
	after, ok := parseCursor(c.QueryParam("after"))
	if !ok {
		return nil, &Error{Status: http.StatusBadRequest, Code: "bad_request",
			Message: "This page link is not valid. Start again from the first page of sessions.",
			Fields:  map[string]string{"after": "is not a page position Curfew made"}}
	}
	return after, nil
}
