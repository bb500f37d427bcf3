package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"curfew/static"
)

// routes is the whole HTTP surface on one screen.
func (s *Server) routes(e *echo.Echo) error {
	csrf, err := s.csrfMiddleware()
	if err != nil {
		return err
	}
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Pre(headAsGet)
	e.Use(headRestored, abortCutTransfers)
	e.Use(middleware.RequestID())
	e.Use(s.requestLogger())
	e.Use(s.metrics.middleware)
	e.Use(middleware.Recover())
	e.Use(securityHeaders(s.cfg.Dev, s.cfg.AllowedOrigins))

	// Operations: no session, no CSRF.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	if s.cfg.MetricsAddr == "" {
		e.GET("/metrics", s.metricsHandler()) // else only on its own listener
	}
	e.StaticFS("/static", static.FS)

	// The reverse proxy's session check: no CSRF, no body, no cookie set.
	// nginx's auth_request, Caddy's forward_auth and Traefik's forwardAuth
	// all ask with GET, whatever the request they hold.
	e.Match([]string{http.MethodGet, http.MethodHead}, "/auth/verify", s.verify)

	app := e.Group("", s.requestTimeout, middleware.BodyLimit("64K"), csrf, s.authenticate)
	app.GET("/", s.home)
	app.GET("/login", s.loginPage)
	app.POST("/login", s.login, requireStorableText)
	app.POST("/logout", s.logout, s.requireSession)
	app.POST("/api/session", s.apiSignIn)

	// Any signed-in person.
	me := app.Group("", s.requireSession, requireStorableText)
	me.GET("/api/session", s.apiSession)
	me.DELETE("/api/session", s.apiSignOut)
	me.POST("/api/session/reauth", s.apiReauth)
	me.POST("/api/session/keepalive", s.apiKeepalive)
	me.GET("/me/sessions", s.mySessionsPage)
	me.POST("/me/sessions/:id/revoke", s.revokeMySession)
	me.POST("/me/sessions/revoke-others", s.revokeMyOtherSessions)
	me.GET("/me/sessions/:id/revoke", seeOther("/me/sessions"))
	me.GET("/me/sessions/revoke-others", seeOther("/me/sessions"))

	// Owners only.
	owner := app.Group("", s.requireSession, s.requireOwner, requireStorableText)
	owner.GET("/settings/security", s.securityPage)
	owner.POST("/settings/security/policy", s.updatePolicy)
	owner.POST("/settings/security/policy/preview", s.previewPolicy)
	owner.GET("/settings/security/roles", s.rolePolicySection)
	owner.POST("/settings/security/roles", s.updateRolePolicy)
	owner.POST("/settings/security/roles/preview", s.previewRolePolicy)
	owner.GET("/settings/security/sessions", s.accountSessionsPage)
	owner.POST("/settings/security/sessions/:id/revoke", s.revokeAccountSession)
	owner.POST("/settings/security/people/:id/revoke-sessions", s.revokePersonSessions)
	owner.GET("/settings/security/revoke-sessions", s.revokeSection)
	owner.POST("/settings/security/revoke-sessions/confirm", s.confirmRevokeSessions)
	owner.POST("/settings/security/revoke-sessions", s.revokeSessions)
	owner.GET("/settings/security/policy", seeOther("/settings/security#policy-card"))
	owner.GET("/settings/security/policy/preview", seeOther("/settings/security#policy-card"))
	owner.GET("/settings/security/sessions/:id/revoke", seeOther("/settings/security/sessions"))
	owner.GET("/settings/security/revoke-sessions/confirm", seeOther("/settings/security#revoke-section"))
	owner.GET("/settings/audit", s.auditPage)
	owner.GET("/settings/audit/export", s.auditExport)
	owner.GET("/api/accounts/me/security", s.apiGetSecurity)
	owner.PATCH("/api/accounts/me/security", s.apiPatchSecurity)
	owner.POST("/api/accounts/me/security/revoke-sessions", s.apiRevokeSessions)
	owner.GET("/api/accounts/me/sessions", s.apiAccountSessions)
	owner.DELETE("/api/accounts/me/sessions/:id", s.apiDeleteAccountSession)
	owner.DELETE("/api/accounts/me/people/:id/sessions", s.apiRevokePersonSessions)
	owner.GET("/api/accounts/me/audit", s.apiAudit)

	// Last, replacing the catch-alls the groups registered: a path no route
	// takes is a 404, or a 405 when it takes other methods, with no session
	// or role check.
	e.RouteNotFound("/*", unrouted(e.Routes()), s.requestTimeout, csrf, s.authenticate)
	return nil
}
