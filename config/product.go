package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// parseAllowedOrigins reads CURFEW_ALLOWED_ORIGINS: comma-separated origins
// (scheme://host[:port]) a sign-in may return to. Each is kept in the form
// Origin compares (lower case, no default port), so a return_to URL matches
// however its origin is spelled.
func parseAllowedOrigins(v string) ([]string, error) {
	var origins []string
	var bad []string
	for _, raw := range strings.Split(v, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		o, ok := parseOrigin(raw)
		if !ok {
			bad = append(bad, fmt.Sprintf("%q", raw))
			continue
		}
		origins = append(origins, o)
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("CURFEW_ALLOWED_ORIGINS: %s not an origin; give scheme://host[:port] with http or https and no path, such as https://app.example.com", strings.Join(bad, ", ")+map[bool]string{true: " is", false: " are"}[len(bad) == 1])
	}
	return origins, nil
}

// parseOrigin checks one configured origin and returns it normalised.
func parseOrigin(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", false
	}
	o := Origin(u)
	return o, o != ""
}

// Origin is the origin of an absolute http(s) URL as CURFEW_ALLOWED_ORIGINS
// holds it: scheme://host[:port], lower case, without the scheme's default
// port; "" when the host is not a plain host name or IP address.
func Origin(u *url.URL) string {
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if !validHost(host) {
		return ""
	}
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return strings.ToLower(u.Scheme) + "://" + host
}

var hostName = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

func validHost(host string) bool {
	return len(host) <= 253 && (hostName.MatchString(host) || net.ParseIP(host) != nil)
}

// parseCookieDomain reads CURFEW_COOKIE_DOMAIN: the domain the session cookie
// is scoped to so that sibling hosts share it. It must be a host name of at
// least two labels that is not itself a public suffix (a cookie for "co.uk"
// or "github.io" would be every site's, and browsers refuse it).
func parseCookieDomain(v string) (string, error) {
	d := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(v), "."))
	if d == "" {
		return "", nil
	}
	fail := func(why string) (string, error) {
		return "", fmt.Errorf("CURFEW_COOKIE_DOMAIN: %q %s; give the parent domain of Curfew and the product, such as example.com", v, why)
	}
	if !hostName.MatchString(d) || len(d) > 253 {
		return fail("is not a domain name (no scheme, port or path)")
	}
	if net.ParseIP(d) != nil {
		return fail("is an IP address, which cookies cannot be shared under")
	}
	if !strings.Contains(d, ".") {
		return fail("has a single label")
	}
	if suffix, _ := publicsuffix.PublicSuffix(d); suffix == d {
		return fail("is a public suffix, shared by unrelated sites")
	}
	return d, nil
}
