package handlers

import (
	"net/url"
	"slices"
	"strings"

	"curfew/config"
)

// maxReturnTo bounds a return_to URL: longer ones are ignored, not cut.
const maxReturnTo = 2048

// returnTo is where to send the browser after sign-in, from the login page's
// return_to (or its older name, next): a local path, or an absolute URL whose
// origin is in CURFEW_ALLOWED_ORIGINS. Anything else is "" (go home), never
// an open redirect.
func (s *Server) returnTo(returnTo, next string) string {
	raw := returnTo
	if raw == "" {
		raw = next
	}
	return safeReturnTo(raw, s.cfg.AllowedOrigins)
}

// safeReturnTo accepts raw only when it is plainly a local path or an http(s)
// URL of an allowed origin. It refuses what browsers read differently from Go
// (backslashes, control characters, "//host", userinfo), in the raw value and
// once percent-decoded.
func safeReturnTo(raw string, allowed []string) string {
	if raw == "" || len(raw) > maxReturnTo || raw[0] == ' ' || raw[len(raw)-1] == ' ' || strings.ContainsFunc(raw, unsafeInURL) {
		return ""
	}
	// A proxy passes the product's URL on as it came (nginx and Caddy cannot
	// encode it), so a %20 in it arrives here decoded: send it as %20 again.
	raw = strings.ReplaceAll(raw, " ", "%20")
	if decoded, err := url.PathUnescape(raw); err != nil || strings.ContainsFunc(decoded, unsafeInURL) || strings.HasPrefix(decoded, "//") {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" {
		return ""
	}
	if strings.HasPrefix(raw, "/") {
		if strings.HasPrefix(raw, "//") || u.Scheme != "" || u.Host != "" {
			return ""
		}
		return raw
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || !strings.HasPrefix(strings.ToLower(raw), u.Scheme+"://") {
		return ""
	}
	if o := config.Origin(u); o == "" || !slices.Contains(allowed, o) {
		return ""
	}
	return raw
}

// unsafeInURL are the characters browsers strip or reinterpret in a URL,
// refused even percent-encoded: ASCII controls (CR, LF, tab, NUL…) and
// backslashes.
func unsafeInURL(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }
