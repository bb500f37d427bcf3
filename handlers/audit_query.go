package handlers

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/store"
)

const (
	// auditPageSize is a page of the log when the request names no limit.
	auditPageSize = 50
	// auditMaxLimit is the largest page the API serves.
	auditMaxLimit = 200
)

// auditQuery is the query string of the audit page, API and export.
type auditQuery struct {
	store.AuditFilter
	// Raw values, to keep the form and links as the person gave them.
	action, actor string
	from, to      string
	limitGiven    bool
}

// parseAuditQuery reads action, actor, from, to, before and limit. Every bad value is
// named in the returned field errors.
func parseAuditQuery(c echo.Context) (auditQuery, map[string]string) {
	q := auditQuery{AuditFilter: store.AuditFilter{Limit: auditPageSize}}
	errs := map[string]string{}
	q.action = c.QueryParam("action")
	if q.action != "" {
		if !slices.Contains(store.AuditActions, q.action) {
			errs["action"] = "must be one of: " + strings.Join(store.AuditActions, ", ")
		}
		q.Action = q.action
	}
	q.actor = c.QueryParam("actor")
	if q.actor != "" {
		id, err := strconv.ParseInt(q.actor, 10, 64)
		if err != nil || id <= 0 {
			errs["actor"] = "must be a user id (a positive whole number)"
		}
		q.ActorID = id
	}
	if v := c.QueryParam("before"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			errs["before"] = "must be an event id (a positive whole number)"
		}
		q.Before = id
	}
	q.from, q.to = c.QueryParam("from"), c.QueryParam("to")
	var from, to time.Time
	var ok bool
	if from, ok = auditDate(q.from); !ok {
		errs["from"] = "must be a date as YYYY-MM-DD"
	}
	if to, ok = auditDate(q.to); !ok {
		errs["to"] = "must be a date as YYYY-MM-DD"
	}
	switch {
	case errs["from"] != "" || errs["to"] != "":
	case !from.IsZero() && !to.IsZero() && to.Before(from):
		errs["to"] = "must not be before from"
	default:
		q.Since = from
		if !to.IsZero() {
			q.Until = to.AddDate(0, 0, 1) // to is a whole day, included
		}
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > auditMaxLimit {
			errs["limit"] = "must be a whole number from 1 to " + strconv.Itoa(auditMaxLimit)
		}
		q.Limit, q.limitGiven = n, true
	}
	if len(errs) > 0 {
		return q, errs
	}
	return q, nil
}

// auditQueryError is the 422 for bad query parameters; the message names
// each one too, for the error page a bad link or export URL gets.
func auditQueryError(errs map[string]string) *Error {
	var parts []string
	for _, f := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, f+" "+errs[f])
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		Message: "Some query parameters are not valid: " + strings.Join(parts, "; ") + ".", Fields: errs}
}

// url is the address of this query on path, with before replaced.
func (q auditQuery) url(path string, before int64, extra url.Values) string {
	v := url.Values{}
	for k, vs := range extra {
		v[k] = vs
	}
	if q.action != "" {
		v.Set("action", q.action)
	}
	if q.actor != "" {
		v.Set("actor", q.actor)
	}
	if q.from != "" {
		v.Set("from", q.from)
	}
	if q.to != "" {
		v.Set("to", q.to)
	}
	if before != 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	if q.limitGiven {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// auditDate reads a from or to date, a whole day in UTC; "" is no date.
func auditDate(v string) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	d, err := time.Parse(time.DateOnly, v)
	return d, err == nil
}
