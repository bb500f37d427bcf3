package handlers

import (
	"bytes"
	"strconv"
	"strings"
	"sync"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"curfew/views"
)

// pageBuffers recycles the buffers pages are rendered into.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes a templ component with a status. The page is rendered into a
// buffer first: a failure half-way becomes an error page instead of a
// truncated 200, and the response goes out in one write with its length.
func render(c echo.Context, status int, comp templ.Component) error {
	buf := pageBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	defer pageBuffers.Put(buf)
	if err := comp.Render(c.Request().Context(), buf); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}

// renderPageOrFragment is the one decision between a whole page and the
// fragment htmx asked for. A history-restore request gets the page.
func renderPageOrFragment(c echo.Context, status int, page, fragment templ.Component) error {
	return renderFragmentOrPage(c, status, fragment, func() (templ.Component, error) { return page, nil })
}

// renderFragmentOrPage is renderPageOrFragment for a page that costs more than
// its fragment (a count, say): buildPage runs only when the page is wanted.
func renderFragmentOrPage(c echo.Context, status int, fragment templ.Component, buildPage func() (templ.Component, error)) error {
	c.Response().Header().Add(echo.HeaderVary, "HX-Request")
	if wantsFragment(c) {
		return render(c, status, fragment)
	}
	page, err := buildPage()
	if err != nil {
		return err
	}
	return render(c, status, page)
}

// wantsFragment reports whether the fragment is the answer: an htmx swap; a
// history restore needs the whole page.
func wantsFragment(c echo.Context) bool {
	return isHTMX(c) && c.Request().Header.Get("HX-History-Restore-Request") != "true"
}

func isHTMX(c echo.Context) bool { return c.Request().Header.Get("HX-Request") == "true" }

func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/api" || strings.HasPrefix(p, "/api/")
}

// csrfToken is the token forms and htmx send back.
func csrfToken(c echo.Context) string {
	t, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	return t
}

// page fills the frame every full page shares.
func (s *Server) page(c echo.Context, title, active string) views.Page {
	pg := views.Page{Title: title, CSRF: csrfToken(c)}
	if p := principal(c); p != nil {
		pg.Nav = &views.Nav{
			Email:             p.Email,
			Name:              p.Name,
			Role:              p.Role,
			AccountName:       p.AccountName,
			Active:            active,
			IdleSeconds:       p.Effective.IdleMinutes * 60,
			IdleExpiresAt:     p.Expiry.IdleAt.UTC().Format("2006-01-02T15:04:05Z07:00"),
			ServerNow:         s.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
			AbsoluteExpiresAt: p.Expiry.AbsoluteAt.UTC().Format("2006-01-02T15:04:05Z07:00"),
		}
	}
	return pg
}

// noStore keeps authenticated pages out of shared and back-button caches.
func noStore(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
}
