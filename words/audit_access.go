package words

import "strings"

// ownerPlaces name the owner-only addresses as a person knows them, longest
// first so that a sub-page is found before its page.
var ownerPlaces = []struct {
	path   string
	open   string // what a GET of it was: "open the audit log"
	change string // what any other method was
}{
	{"/settings/audit/export", "export the audit log", "export the audit log"},
	{"/settings/audit", "open the audit log", "change the audit log"},
	{"/settings/security/sessions", "open the team's sessions", "end a session of the team"},
	{"/settings/security/revoke-sessions", "open sign out everyone", "sign everyone out"},
	{"/settings/security/policy", "open the session policy", "change the session policy"},
	{"/settings/security", "open the security settings", "change the security settings"},
	{"/api/accounts/me/audit", "read the audit log through the API", "change the audit log through the API"},
	{"/api/accounts/me/security/revoke-sessions", "sign everyone out through the API", "sign everyone out through the API"},
	{"/api/accounts/me/security", "read the session policy through the API", "change the session policy through the API"},
	{"/api/accounts/me/sessions", "list the team's sessions through the API", "end a session of the team through the API"},
}

// refusedAccess says what a refused person tried to do, in plain words:
// "tried to open the audit log". An address it does not know is named as it
// was asked for, shortened.
func refusedAccess(method, path string) string {
	if method == "" && path == "" {
		return "was refused access to an owner page"
	}
	for _, p := range ownerPlaces {
		if path == p.path || strings.HasPrefix(path, p.path+"/") {
			if method == "GET" || method == "HEAD" || method == "" {
				return "tried to " + p.open + ", without permission"
			}
			return "tried to " + p.change + ", without permission"
		}
	}
	return "was refused access to " + Shorten(strings.TrimSpace(method+" "+path), 120)
}
