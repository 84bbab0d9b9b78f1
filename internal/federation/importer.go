package federation

import (
	"context"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/db"
	"nongfu/internal/platform/imports"
	"nongfu/internal/validate"
)

// MembershipImporter imports membership lists (会员名册) that federations keep in spreadsheets: a row files an
// application for a subject (代办, by the importing staff) and approves it when the sheet says so. A subject that
// already has an open membership of that federation is left as it is, or approved if the sheet says 已入会.
type MembershipImporter struct{ S *Service }

func (MembershipImporter) Name() string  { return "memberships" }
func (MembershipImporter) Title() string { return "入会名册" }
func (MembershipImporter) Columns() []imports.Column {
	return []imports.Column{
		{Key: "federation", Header: "农合联", Required: true, Note: "农合联名称或编码", Aliases: []string{"农合联名称", "农合联编码"}, Example: "巫山县农民合作经济组织联合会"},
		{Key: "subject", Header: "主体证件号", Required: true, Note: "户主身份证号、统一社会信用代码或主体编号", Aliases: []string{"身份证号", "统一社会信用代码", "主体编号"}, Example: "500237198003150012"},
		{Key: "status", Header: "入会状态", Note: "已入会（默认）或 待审核", Aliases: []string{"状态"}, Example: "已入会"},
		{Key: "member_no", Header: "会员编号", Note: "留空则自动编号"},
		{Key: "consent", Header: "本人同意方式", Note: "代办的依据，如 书面入会申请表；留空记为 名册导入（纸质入会登记表）"},
		{Key: "note", Header: "备注"},
	}
}

// ImportRow files and, when asked, approves one membership.
func (i MembershipImporter) ImportRow(ctx context.Context, tx *db.Tx, p *auth.Principal, row map[string]string) (bool, error) {
	s := i.S
	fields := map[string]string{}
	want := StatusApproved
	switch st := validate.Normalize(row["status"]); st {
	case "", "已入会", "已批准", "approved", "会员":
	case "待审核", "申请", "applied":
		want = StatusApplied
	default:
		fields["status"] = "入会状态应为 已入会 或 待审核"
	}
	fedKey := validate.Normalize(row["federation"])
	var fed *Federation
	all, err := s.allFederations(ctx, p)
	if err != nil {
		return false, err
	}
	for _, f := range all {
		if f.Name == fedKey || strings.EqualFold(f.Code, fedKey) {
			fed = f
		}
	}
	if fed == nil {
		fields["federation"] = "找不到农合联：" + fedKey
	}
	sid, err := s.subjects.FindByKey(ctx, tx, row["subject"])
	if err != nil {
		if apperr.CodeOf(err) != apperr.NotFound {
			return false, err
		}
		fields["subject"] = "主体名录中没有该主体，请先导入主体"
	}
	if err := apperr.FieldErrors(fields); err != nil {
		return false, err
	}
	m, err := openMembership(ctx, tx, fed.ID, sid)
	if err != nil {
		return false, err
	}
	created := false
	id := int64(0)
	if m == nil {
		consent := validate.Normalize(row["consent"])
		if consent == "" {
			consent = "名册导入（纸质入会登记表）"
		}
		if id, err = s.ApplyTx(ctx, tx, p, ApplyInput{FederationID: fed.ID, SubjectID: sid, Note: row["note"], Consent: consent}); err != nil {
			return false, err
		}
		created = true
	} else {
		id = m.ID
		if m.Status == StatusApproved || want == StatusApplied {
			return false, nil
		}
	}
	if want == StatusApproved {
		if err := s.TransitionTx(ctx, tx, p, id, ActApprove, TransitionInput{MemberNo: row["member_no"]}); err != nil {
			return false, err
		}
	}
	return created, nil
}
