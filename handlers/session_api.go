package handlers

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

type sessionUser struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

type sessionAccount struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type sessionBody struct {
	User                   sessionUser    `json:"user"`
	Account                sessionAccount `json:"account"`
	IdleTimeoutSeconds     int            `json:"idle_timeout_seconds"`
	AbsoluteTimeoutSeconds int            `json:"absolute_timeout_seconds"`
	IdleExpiresAt          time.Time      `json:"idle_expires_at"`
	AbsoluteExpiresAt      time.Time      `json:"absolute_expires_at"`
	CSRFToken              string         `json:"csrf_token"`
}

// apiSession describes the caller's session under the account's current policy.
func (s *Server) apiSession(c echo.Context) error {
	p := principal(c)
	return c.JSON(http.StatusOK, sessionBody{
		User:                   sessionUser{ID: p.UserID, Email: p.Email, Role: p.Role},
		Account:                sessionAccount{ID: p.AccountID, Name: p.AccountName},
		IdleTimeoutSeconds:     p.Effective.IdleMinutes * 60,
		AbsoluteTimeoutSeconds: p.Effective.AbsoluteMinutes * 60,
		IdleExpiresAt:          p.Expiry.IdleAt.UTC(),
		AbsoluteExpiresAt:      p.Expiry.AbsoluteAt.UTC(),
		CSRFToken:              csrfToken(c),
	})
}
