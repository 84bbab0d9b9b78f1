package app

import (
	"context"

	"nongfu/internal/federation"
	"nongfu/internal/platform/auth"
)

// membershipSource lets the credit file list a subject's federation memberships without the credit room knowing
// the federation room: rooms talk through Go APIs, wired here.
type membershipSource struct {
	fed     *federation.Service
	regions func() []string
}

func (m membershipSource) ApprovedMemberships(ctx context.Context, subjectID int64) ([]string, error) {
	// the credit room has already checked who may read this file; the platform reads on its behalf
	p := &auth.Principal{Username: "credit-file", Role: auth.CountyAdmin, Scopes: m.regions()}
	items, _, err := m.fed.ListMemberships(ctx, p, federation.MembershipFilter{SubjectID: subjectID, Status: federation.StatusApproved, PerPage: 50})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, x := range items {
		s := x.FederationName
		if x.MemberNo != "" {
			s += "（会员编号 " + x.MemberNo + "）"
		}
		out = append(out, s)
	}
	return out, nil
}
