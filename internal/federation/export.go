package federation

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"nongfu/internal/platform/web"
	"nongfu/internal/tabular"
)

// exportMemberships writes the memberships the caller may see, with the list's current filter, as .xlsx.
func (s *Service) exportMemberships(w http.ResponseWriter, r *http.Request) error {
	p := web.Principal(r)
	mf, _, err := membershipFilter(r)
	if err != nil {
		return err
	}
	name := "入会记录-" + time.Now().In(web.Shanghai).Format("20060102-1504") + ".xlsx"
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="memberships.xlsx"; filename*=UTF-8''%s`, url.PathEscape(name)))
	st, err := tabular.NewXLSXStream(w, tabular.Sheet{Name: "入会记录", Header: []string{"农合联", "会员编号", "主体", "主体类型", "乡镇", "状态", "代办", "申请时间", "办理时间", "原因/备注"}})
	if err != nil {
		return err
	}
	mf.PerPage = 1000
	for page := 1; ; page++ {
		mf.Page = page
		items, _, err := s.ListMemberships(r.Context(), p, mf)
		if err != nil {
			return err
		}
		for _, m := range items {
			decided := ""
			if m.DecidedAt != nil {
				decided = web.FormatDateTime(*m.DecidedAt)
			}
			onBehalf := ""
			if m.OnBehalf {
				onBehalf = "是"
			}
			note := m.Reason
			if note == "" {
				note = m.Note
			}
			if err := st.Write([]string{m.FederationName, m.MemberNo, m.SubjectName, m.SubjectKindLabel, m.TownshipName, m.StatusLabel, onBehalf,
				web.FormatDateTime(m.AppliedAt), decided, note}); err != nil {
				return err
			}
		}
		if len(items) < mf.PerPage {
			break
		}
	}
	return st.Close()
}
