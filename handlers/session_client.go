package handlers

import (
	"strconv"
	"strings"

	"github.com/mileusna/useragent"

	"curfew/store"
)

// describeSession names what a session runs on, for the session lists: the
// browser and system of a browser session, and "API client" with the program
// it says it is (curl 8, python-requests 2, …) for a token session.
func describeSession(client, ua string) (browser, system string) {
	if client != store.ClientAPI {
		return describeUserAgent(ua)
	}
	name := ""
	if strings.TrimSpace(ua) != "" {
		p := useragent.Parse(ua)
		name = p.Name
		if name != "" && p.VersionNo.Major > 0 {
			name += " " + strconv.Itoa(p.VersionNo.Major)
		}
	}
	if name == "" {
		name = "an unnamed program"
	}
	return "API client", name
}
