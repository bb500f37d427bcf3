package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/labstack/echo/v4"

	"curfew/config"
)

// SessionTokenOf opens a session cookie value as the server would and returns
// the raw token inside, "" when it does not verify. Tests use it to look for
// the token where it must never appear.
func SessionTokenOf(cfg config.Config, cookieValue string) string {
	cs, name := newCookieStore(cfg)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.AddCookie(&http.Cookie{Name: name, Value: cookieValue})
	sess, err := cs.Get(r, name)
	if err != nil || sess.IsNew {
		return ""
	}
	token, _ := sess.Values[cookieToken].(string)
	return token
}

// SealSessionCookie makes a validly signed session cookie carrying token, as
// the server would set it.
func SealSessionCookie(cfg config.Config, token string) *http.Cookie {
	cs, name := newCookieStore(cfg)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	w := httptest.NewRecorder()
	sess, _ := cs.New(r, name)
	sess.Values[cookieToken] = token
	if err := sess.Save(r, w); err != nil {
		panic(err)
	}
	return w.Result().Cookies()[0]
}

// DecodeJSON runs the API's strict JSON body decoder on body into dst.
func DecodeJSON(body string, dst any) error {
	req := httptest.NewRequest(http.MethodPost, "/api/x", strings.NewReader(body))
	req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	return decodeJSON(bareEcho.NewContext(req, httptest.NewRecorder()), dst)
}

var bareEcho = echo.New()
