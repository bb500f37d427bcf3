package policy_test

import (
	"testing"

	"curfew/policy"
)

func TestReasonTold(t *testing.T) {
	want := map[policy.Reason]policy.Reason{
		policy.ReasonIdle: policy.ReasonIdle, policy.ReasonAbsolute: policy.ReasonAbsolute, policy.ReasonLogout: policy.ReasonLogout,
		policy.ReasonRevoked: policy.ReasonRevoked, policy.ReasonRevokedAll: policy.ReasonRevoked, policy.ReasonRevokedOthers: policy.ReasonRevoked,
		"something_newer": policy.ReasonRevoked,
	}
	if len(want) != len(policy.Reasons)+1 {
		t.Fatalf("the table lists %d reasons; policy.Reasons has %d", len(want)-1, len(policy.Reasons))
	}
	for r, told := range want {
		if got := r.Told(); got != told {
			t.Errorf("%q told as %q, want %q", r, got, told)
		}
	}
}
