package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"curfew/internal/apptest"
	"curfew/store"
)

func TestMySessionsForAnEngineer(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	me := srv.Login(t, team.Engineer.Email, apptest.Password)
	laptop := srv.Login(t, team.Engineer.Email, apptest.Password)
	phone := srv.Login(t, team.Engineer.Email, apptest.Password)
	owner := srv.Login(t, team.Owner.Email, apptest.Password)
	mine := sessionIDOf(t, srv, team.Engineer.ID, 0)
	laptopID := sessionIDOf(t, srv, team.Engineer.ID, 1)
	ownerID := sessionIDOf(t, srv, team.Owner.ID, 0)

	page := me.Get("/me/sessions")
	rows := sessionRowsOf(t, page.Body)
	if page.StatusCode != http.StatusOK || len(rows) != 3 {
		t.Fatalf("status %d, rows %v; want my 3 sessions only", page.StatusCode, rows)
	}
	if _, ok := rows[ownerID]; ok {
		t.Error("an engineer sees the owner's session")
	}
	if !strings.Contains(rows[mine], "This session") || strings.Contains(rows[laptopID], "This session") {
		t.Error("the This session badge is on the wrong row")
	}
	if !strings.Contains(page.Body, "Sign out of 2 other sessions? This browser stays signed in.") {
		t.Error("no way to sign out the other sessions")
	}

	// Another person's session is not found; nothing changes.
	if res := me.PostForm("/me/sessions/"+ownerID+"/revoke", nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("ending the owner's session = %d, want 404", res.StatusCode)
	}
	wantWorking(t, srv.URL, signedInCookie(t, owner, srv), "owner")

	res := me.PostFormHTMX("/me/sessions/"+laptopID+"/revoke", nil)
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "Ended your session") {
		t.Fatalf("ending my laptop's session = %d\n%s", res.StatusCode, res.Body)
	}
	status, h, _ := replayCookie(t, srv.URL, signedInCookie(t, laptop, srv), "/me/sessions", nil)
	if loc := h.Get("Location"); status != http.StatusSeeOther || !strings.Contains(loc, "reason=logout") {
		t.Errorf("the laptop is sent to %q (%d), want the sign-in page saying it signed out", loc, status)
	}

	res = me.PostForm("/me/sessions/revoke-others", nil)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/me/sessions?signed_out=1" {
		t.Fatalf("sign out others = %d to %q", res.StatusCode, loc)
	}
	wantWorking(t, srv.URL, signedInCookie(t, me, srv), "this session")
	wantWorking(t, srv.URL, signedInCookie(t, owner, srv), "owner")
	if status, _, _ := replayCookie(t, srv.URL, signedInCookie(t, phone, srv), "/api/session", nil); status != http.StatusUnauthorized {
		t.Errorf("the phone's session answered %d, want 401", status)
	}
	if after := me.Get("/me/sessions?signed_out=1"); !strings.Contains(after.Body, "Signed out 1 session.") || len(sessionRowsOf(t, after.Body)) != 1 {
		t.Error("the page after does not show the outcome and my one session")
	}

	if rows := auditPayloads(t, srv, team.Account.ID, store.ActionOwnSessionsRevoke); len(rows) != 1 || rows[0]["revoked_count"] != float64(1) {
		t.Errorf("user.sessions_revoke rows %v, want one with revoked_count 1", rows)
	}
	if rows := auditPayloads(t, srv, team.Account.ID, store.ActionSessionRevoke); len(rows) != 1 || rows[0]["session_id"] != laptopID {
		t.Errorf("session.revoke rows %v, want one for the laptop", rows)
	}
	// Nothing left to sign out: no row is written for nothing.
	me.PostForm("/me/sessions/revoke-others", nil)
	if rows := auditPayloads(t, srv, team.Account.ID, store.ActionOwnSessionsRevoke); len(rows) != 1 {
		t.Errorf("a no-op sign-out wrote a row: %v", rows)
	}
}

func TestEndingThisSessionSignsOut(t *testing.T) {
	t.Parallel()
	srv := apptest.NewServer(t)
	team := apptest.NewTeam(t, srv.Store)
	me := srv.Login(t, team.Owner.Email, apptest.Password)
	ck := signedInCookie(t, me, srv)
	res := me.PostFormHTMX("/me/sessions/"+sessionIDOf(t, srv, team.Owner.ID, 0)+"/revoke", nil)
	if hx := res.Header.Get("HX-Redirect"); !strings.HasPrefix(hx, "/login?reason=logout") {
		t.Errorf("HX-Redirect %q, want the sign-in page", hx)
	}
	if status, _, _ := replayCookie(t, srv.URL, ck, "/api/session", nil); status != http.StatusUnauthorized {
		t.Errorf("the ended session answered %d", status)
	}
}
