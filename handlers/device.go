package handlers

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"curfew/store"
)

// Device cookies (OWASP's "Slow Down Online Guessing Attacks with Device
// Cookies"): a browser that signs in with the right password gets a signed
// cookie naming the email and a random device id. Its later attempts on that
// email count against a limit of their own, not against the email's counter
// that strangers fill, so failures from elsewhere cannot lock the owner out,
// and a stolen cookie only buys its own limited number of guesses.

// deviceCookieFor is how long a device cookie is good for after the sign-in
// that issued it; each sign-in issues a fresh one.
const deviceCookieFor = 90 * 24 * time.Hour

type deviceClaim struct {
	Email  string `json:"e"`
	Device string `json:"d"`
}

func (s *Server) deviceCookieName() string {
	if s.cfg.Dev {
		return "curfew_device"
	}
	return "__Host-curfew-device"
}

// deviceCodecs sign and encrypt device cookies with keys derived from each of
// CURFEW_SESSION_KEYS (newest first), apart from the session cookie's keys.
func (s *Server) deviceCodecs() []securecookie.Codec {
	var pairs [][]byte
	for _, k := range s.cfg.SessionKeys {
		hashKey := sha256.Sum256(append([]byte("curfew device hmac\x00"), k...))
		blockKey := sha256.Sum256(append([]byte("curfew device aes\x00"), k...))
		pairs = append(pairs, hashKey[:], blockKey[:])
	}
	codecs := securecookie.CodecsFromPairs(pairs...)
	for _, c := range codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.MaxAge(int(deviceCookieFor / time.Second))
			sc.SetSerializer(securecookie.JSONEncoder{})
		}
	}
	return codecs
}

// deviceFor is the device id of the request's device cookie when it is valid
// and was issued to email, else "".
func (s *Server) deviceFor(c echo.Context, email string) string {
	ck, err := c.Cookie(s.deviceCookieName())
	if err != nil || len(ck.Value) > 1024 {
		return ""
	}
	var claim deviceClaim
	if err := securecookie.DecodeMulti(s.deviceCookieName(), ck.Value, &claim, s.deviceCodecs()...); err != nil {
		return ""
	}
	if claim.Device == "" || claim.Email != store.NormalizeEmail(email) {
		return ""
	}
	return claim.Device
}

// issueDeviceCookie gives the browser a fresh device cookie for email, after
// a sign-in with the right password.
func (s *Server) issueDeviceCookie(c echo.Context, email string) error {
	id := make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return err
	}
	name := s.deviceCookieName()
	value, err := securecookie.EncodeMulti(name, deviceClaim{
		Email: store.NormalizeEmail(email), Device: base64.RawURLEncoding.EncodeToString(id),
	}, s.deviceCodecs()...)
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(deviceCookieFor / time.Second),
		HttpOnly: true, Secure: !s.cfg.Dev, SameSite: http.SameSiteLaxMode,
	})
	return nil
}

// loginAttempt is the request's sign-in attempt on email, for the throttle.
func (s *Server) loginAttempt(c echo.Context, email string) store.LoginAttempt {
	return store.LoginAttempt{Email: email, IP: c.RealIP(), Device: s.deviceFor(c, email)}
}
