package store

import (
	"net"
	"net/url"
	"strings"
)

// multiHostURL rewrites a libpq URL that lists several hosts in its authority
// (postgres://h1:5432,h2:5433/db), as PostgreSQL's documentation and managed
// services write it, into the form lib/pq parses (postgres://h1,h2/db?port=5432,5433):
// lib/pq reads the authority with net/url, which takes only the last port.
// Anything else is returned unchanged.
func multiHostURL(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok || (scheme != "postgres" && scheme != "postgresql") {
		return dsn
	}
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	userinfo, hostlist := "", authority
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		userinfo, hostlist = authority[:i+1], authority[i+1:]
	}
	if !strings.Contains(hostlist, ",") {
		return dsn
	}
	var hosts, ports []string
	for _, hp := range strings.Split(hostlist, ",") {
		host, port, err := net.SplitHostPort(hp)
		if err != nil { // no port: the default, as libpq does
			host, port = hp, "5432"
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		hosts, ports = append(hosts, host), append(ports, port)
	}
	path, query, _ := strings.Cut(tail, "?")
	q, err := url.ParseQuery(query)
	if err != nil || q.Has("port") {
		return dsn
	}
	q.Set("port", strings.Join(ports, ","))
	return scheme + "://" + userinfo + strings.Join(hosts, ",") + path + "?" + q.Encode()
}
