package handlers

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"curfew/policy"
	"curfew/store"
)

// Headers of /auth/verify, read by the reverse proxy and passed to the product.
const (
	hdrUserID            = "X-Curfew-User-Id"
	hdrUserEmail         = "X-Curfew-User-Email"
	hdrRole              = "X-Curfew-Role"
	hdrAccountID         = "X-Curfew-Account-Id"
	hdrSessionID         = "X-Curfew-Session-Id"
	hdrIdleExpiresAt     = "X-Curfew-Idle-Expires-At"
	hdrAbsoluteExpiresAt = "X-Curfew-Absolute-Expires-At"
	hdrReason            = "X-Curfew-Reason"
)

// verify is the check a reverse proxy makes before it passes a request to the
// product (nginx auth_request, Caddy forward_auth, Traefik forwardAuth): the
// same session rules as every page, by cookie or bearer token, answered with
// headers only. 200 names the person; 401 says why there is no session
// (X-Curfew-Reason); ?role=owner makes it 403 for anyone else. It never sets
// a cookie: the proxy's answer to the browser is the product's.
//
// It is the hottest route, so it runs outside the page middleware (no CSRF,
// no body limit, no template) and reads nothing but the session lookup.
func (s *Server) verify(c echo.Context) error {
	h := c.Response().Header()
	h.Set(echo.HeaderCacheControl, "no-store")
	role := ""
	if c.Request().URL.RawQuery != "" { // no query map for the common case
		role = c.QueryParam("role")
	}
	if role != "" && role != store.RoleOwner && role != store.RoleEngineer {
		return c.JSON(http.StatusBadRequest, errorBody{Error: "invalid_request", Message: "Some values need fixing.",
			Fields: map[string]string{"role": "Must be owner or engineer."}})
	}
	token, client, err := s.requestToken(c)
	if err != nil {
		h.Set(hdrReason, "none")
		var e *Error
		if errors.As(err, &e) {
			return c.JSON(e.Status, errorBody{Error: e.Code, Message: e.Message})
		}
		return err
	}
	if token == "" {
		return verifyRefused(c, policy.ReasonNone)
	}
	ctx, cancel := context.WithTimeout(c.Request().Context(), s.requestDeadline())
	defer cancel()
	p, so, err := s.checkSession(ctx, token, client)
	if err != nil {
		return err
	}
	if p == nil {
		if client == store.ClientAPI {
			h.Set(echo.HeaderWWWAuthenticate, `Bearer error="invalid_token"`)
		}
		return verifyRefused(c, so.reason)
	}
	h.Set(hdrUserID, strconv.FormatInt(p.UserID, 10))
	h.Set(hdrUserEmail, p.Email)
	h.Set(hdrRole, p.Role)
	h.Set(hdrAccountID, strconv.FormatInt(p.AccountID, 10))
	h.Set(hdrSessionID, p.SessionID)
	h.Set(hdrIdleExpiresAt, p.Expiry.IdleAt.UTC().Format(time.RFC3339))
	h.Set(hdrAbsoluteExpiresAt, p.Expiry.AbsoluteAt.UTC().Format(time.RFC3339))
	if role != "" && p.Role != role {
		return c.NoContent(http.StatusForbidden)
	}
	return c.NoContent(http.StatusOK)
}

// verifyRefused is the 401 of /auth/verify: reason is none when the request
// carried no session, else how the session it carried ended.
func verifyRefused(c echo.Context, reason policy.Reason) error {
	if reason == policy.ReasonNone {
		reason = "none"
	}
	c.Response().Header().Set(hdrReason, string(reason))
	return c.NoContent(http.StatusUnauthorized)
}
