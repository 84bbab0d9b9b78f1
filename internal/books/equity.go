package books

import (
	"context"
	"strconv"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
)

// EquityColumn is one column of the 成员权益变动表 (statement of changes in members' equity).
type EquityColumn struct {
	Item     string `json:"item"`
	Accounts string `json:"accounts"`
	Opening  int64  `json:"opening" doc:"年初余额（分）"`
	Increase int64  `json:"increase" doc:"本年增加"`
	Decrease int64  `json:"decrease" doc:"本年减少"`
	Closing  int64  `json:"closing" doc:"期末余额"`
}

// EquityStatement is the 成员权益变动表 of a year through a period: 股金, 专项基金, 资本公积, 盈余公积 and 未分配盈余,
// each opening + increase − decrease = closing. For 未分配盈余 the increase is the year's surplus (carry vouchers
// left out) and the decrease whatever balances the column: distributions and losses.
type EquityStatement struct {
	BookID  int64          `json:"book_id"`
	Name    string         `json:"name"`
	Year    int            `json:"year"`
	Period  string         `json:"period"`
	Columns []EquityColumn `json:"columns"`
	Total   EquityColumn   `json:"total"`
}

// EquityStatement computes the 成员权益变动表.
func (s *Service) EquityStatement(ctx context.Context, p *auth.Principal, bookID int64, period string) (*EquityStatement, error) {
	b, err := s.GetBook(ctx, p, bookID)
	if err != nil {
		return nil, err
	}
	per, err := ParsePeriod(period)
	if err != nil {
		return nil, apperr.FieldErrors(map[string]string{"period": err.Error()})
	}
	yearStart := per[:4] + "-01"
	all, err := s.balances(ctx, s.db, b.ID, yearStart, per, true)
	if err != nil {
		return nil, err
	}
	flows, err := s.balances(ctx, s.db, b.ID, yearStart, per, false)
	if err != nil {
		return nil, err
	}
	chart := ChartOf(b.Chart)
	year, _ := strconv.Atoi(per[:4])
	st := &EquityStatement{BookID: b.ID, Name: b.Name, Year: year, Period: per}
	for _, c := range []struct{ code, item string }{{"3001", "股金"}, {"3101", "专项基金"}, {"3201", "资本公积"}, {"3301", "盈余公积"}} {
		col := EquityColumn{Item: c.item, Accounts: c.code}
		for code, x := range all {
			if top(code) == c.code {
				col.Opening += -x.openNet()
				col.Increase += x.c
				col.Decrease += x.d
			}
		}
		col.Closing = col.Opening + col.Increase - col.Decrease
		st.Columns = append(st.Columns, col)
	}
	und := EquityColumn{Item: "未分配盈余", Accounts: "3401、3501、损益类"}
	var net int64
	for code, x := range all {
		a, _ := chart.Account(top(code))
		if t := top(code); t == "3401" || t == "3501" || a.Category == CatPL {
			und.Opening += -x.openNet()
			und.Closing += -x.closeNet()
		}
	}
	for code, x := range flows {
		if a, _ := chart.Account(top(code)); a.Category == CatPL {
			net += x.c - x.d
		}
	}
	if net > 0 {
		und.Increase = net
	}
	und.Decrease = und.Opening + und.Increase - und.Closing
	st.Columns = append(st.Columns, und)
	st.Total.Item = "合计"
	for _, c := range st.Columns {
		st.Total.Opening += c.Opening
		st.Total.Increase += c.Increase
		st.Total.Decrease += c.Decrease
		st.Total.Closing += c.Closing
	}
	return st, nil
}
