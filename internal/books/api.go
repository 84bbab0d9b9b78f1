package books

import (
	"context"
	"net/http"
	"time"

	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

const (
	readRoles  = "county_admin、township_operator、department、taskforce、viewer（管辖范围内）；member（本组织）"
	writeRoles = "county_admin、township_operator（管辖范围内）"
)

func ids(r *http.Request) (int64, int64, error) {
	b, err := web.PathID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	if r.PathValue("vid") == "" {
		return b, 0, nil
	}
	v, err := web.PathID(r, "vid")
	return b, v, err
}

// currentPeriod is this month in Asia/Shanghai.
func (s *Service) currentPeriod() string { return s.now().In(web.Shanghai).Format("2006-01") }

func (s *Service) periodParam(r *http.Request) string {
	if p := r.URL.Query().Get("period"); p != "" {
		return p
	}
	return s.currentPeriod()
}

// AccountInput adds a sub-account.
type AccountInput struct {
	Parent   string `json:"parent" doc:"一级科目编码，如 1102"`
	Name     string `json:"name"`
	MemberID int64  `json:"member_id"`
}

// ReverseInput dates a reversal.
type ReverseInput struct {
	Date string `json:"date" doc:"冲销凭证日期 YYYY-MM-DD，默认今天"`
}

// PeriodInput names a period (and a reason for reopening).
type PeriodInput struct {
	Period string `json:"period"`
	Reason string `json:"reason"`
}

func (s *Service) apiRoutes(srv *web.Server) {
	const tag = "books"
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books", Summary: "统一财务代账的组织（本人可见）", Tag: tag, Query: []string{"q", "page", "per_page"},
		Response: web.List[Book]{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		pg := web.ParsePage(r, 50, 500)
		items, total, err := s.ListBooks(r.Context(), web.Principal(r), BookFilter{Q: r.URL.Query().Get("q"), Page: pg.Page, PerPage: pg.PerPage})
		if err != nil {
			return err
		}
		out := make([]Book, 0, len(items))
		for _, b := range items {
			out = append(out, *b)
		}
		web.WriteJSON(w, http.StatusOK, web.List[Book]{Items: out, Total: total, Page: pg.Page, PerPage: pg.PerPage})
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/books", Summary: "将组织纳入统一财务代账", Tag: tag, Request: BookInput{}, Response: Book{}, Status: 201, Roles: writeRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			var in BookInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			b, err := s.CreateBook(r.Context(), web.Principal(r), in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, b)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}", Summary: "代账组织详情", Tag: tag, Response: Book{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, _, err := ids(r)
			if err != nil {
				return err
			}
			b, err := s.GetBook(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, b)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/accounts", Summary: "科目表（含明细科目）", Tag: tag, Response: web.List[Account]{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, _, err := ids(r)
			if err != nil {
				return err
			}
			b, err := s.GetBook(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			accs, err := s.Accounts(r.Context(), b)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[Account]{Items: accs, Total: len(accs), Page: 1, PerPage: len(accs)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/books/{id}/accounts", Summary: "增设明细科目（如 成员往来-张三）", Tag: tag, Request: AccountInput{}, Response: Account{}, Status: 201, Roles: writeRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, _, err := ids(r)
			if err != nil {
				return err
			}
			var in AccountInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			a, err := s.AddAccount(r.Context(), web.Principal(r), id, in.Parent, in.Name, in.MemberID)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusCreated, a)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/vouchers", Summary: "凭证列表", Tag: tag, Query: []string{"period", "status", "page", "per_page"},
		Response: web.List[Voucher]{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, _, err := ids(r)
		if err != nil {
			return err
		}
		pg := web.ParsePage(r, 50, 500)
		q := r.URL.Query()
		items, total, err := s.ListVouchers(r.Context(), web.Principal(r), id, VoucherFilter{Period: q.Get("period"), Status: q.Get("status"), Page: pg.Page, PerPage: pg.PerPage})
		if err != nil {
			return err
		}
		out := make([]Voucher, 0, len(items))
		for _, v := range items {
			out = append(out, *v)
		}
		web.WriteJSON(w, http.StatusOK, web.List[Voucher]{Items: out, Total: total, Page: pg.Page, PerPage: pg.PerPage})
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/books/{id}/vouchers", Summary: "制单（新建凭证草稿；借贷必须平衡，金额以分计）", Tag: tag,
		Request: VoucherInput{}, Response: Voucher{}, Status: 201, Roles: writeRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, _, err := ids(r)
		if err != nil {
			return err
		}
		var in VoucherInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		v, err := s.CreateVoucher(r.Context(), web.Principal(r), id, in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, v)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/vouchers/{vid}", Summary: "凭证详情（含分录）", Tag: tag, Response: Voucher{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, vid, err := ids(r)
			if err != nil {
				return err
			}
			v, err := s.GetVoucher(r.Context(), web.Principal(r), id, vid)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, v)
			return nil
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/books/{id}/vouchers/{vid}", Summary: "修改凭证草稿（审核前）", Tag: tag, Request: VoucherInput{}, Response: Voucher{}, Roles: writeRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, vid, err := ids(r)
			if err != nil {
				return err
			}
			var in VoucherInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			v, err := s.UpdateVoucher(r.Context(), web.Principal(r), id, vid, in)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, v)
			return nil
		})
	step := func(path, summary string, fn func(ctx context.Context, p *auth.Principal, b, v int64) (*Voucher, error)) {
		srv.Handle(web.Op{Method: "POST", Path: path, Summary: summary, Tag: tag, Response: Voucher{}, Roles: writeRoles},
			func(w http.ResponseWriter, r *http.Request) error {
				id, vid, err := ids(r)
				if err != nil {
					return err
				}
				v, err := fn(r.Context(), web.Principal(r), id, vid)
				if err != nil {
					return err
				}
				web.WriteJSON(w, http.StatusOK, v)
				return nil
			})
	}
	step("/api/v1/books/{id}/vouchers/{vid}/review", "审核凭证（审核人不能是制单人）", s.Review)
	step("/api/v1/books/{id}/vouchers/{vid}/unreview", "取消审核（退回草稿）", s.Unreview)
	step("/api/v1/books/{id}/vouchers/{vid}/post", "记账（按组织和期间连续编号）", s.Post)
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/books/{id}/vouchers/{vid}/reverse", Summary: "红字冲销已记账凭证（生成待审核的冲销凭证）", Tag: tag,
		Request: ReverseInput{}, Response: Voucher{}, Status: 201, Roles: writeRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, vid, err := ids(r)
		if err != nil {
			return err
		}
		var in ReverseInput
		if r.ContentLength != 0 {
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
		}
		v, err := s.Reverse(r.Context(), web.Principal(r), id, vid, in.Date)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, v)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/trial-balance", Summary: "试算平衡表（debit_total/credit_total 为期末借、贷方余额合计，单位分）", Tag: tag,
		Query: []string{"period", "from"}, Response: TrialBalance{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, _, err := ids(r)
		if err != nil {
			return err
		}
		tb, err := s.TrialBalance(r.Context(), web.Principal(r), id, r.URL.Query().Get("from"), s.periodParam(r))
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, tb)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/balance-sheet", Summary: "资产负债表", Tag: tag, Query: []string{"period"}, Response: BalanceSheet{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, _, err := ids(r)
			if err != nil {
				return err
			}
			bs, err := s.BalanceSheet(r.Context(), web.Principal(r), id, s.periodParam(r))
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, bs)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/surplus-statement", Summary: "盈余及盈余分配表（本年累计至所选期间）", Tag: tag, Query: []string{"period"},
		Response: SurplusStatement{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, _, err := ids(r)
		if err != nil {
			return err
		}
		st, err := s.SurplusStatement(r.Context(), web.Principal(r), id, s.periodParam(r))
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, st)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/ledger", Summary: "总账和明细账（科目含明细科目）", Tag: tag, Query: []string{"account", "from", "to"},
		Response: Ledger{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, _, err := ids(r)
		if err != nil {
			return err
		}
		q := r.URL.Query()
		to := q.Get("to")
		if to == "" {
			to = s.currentPeriod()
		}
		lg, err := s.Ledger(r.Context(), web.Principal(r), id, q.Get("account"), q.Get("from"), to)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, lg)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/books/{id}/closes", Summary: "已结账期间", Tag: tag, Response: web.List[Close]{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, _, err := ids(r)
			if err != nil {
				return err
			}
			cl, err := s.Closes(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			if cl == nil {
				cl = []Close{}
			}
			web.WriteJSON(w, http.StatusOK, web.List[Close]{Items: cl, Total: len(cl), Page: 1, PerPage: len(cl)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/books/{id}/close", Summary: "结账（按月顺序；本期凭证须全部记账）", Tag: tag, Query: []string{"period"},
		Request: PeriodInput{}, Response: Close{}, Roles: writeRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, _, err := ids(r)
		if err != nil {
			return err
		}
		var in PeriodInput
		if r.ContentLength != 0 {
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
		}
		if q := r.URL.Query().Get("period"); q != "" {
			in.Period = q
		}
		p := web.Principal(r)
		if err := s.ClosePeriod(r.Context(), p, id, in.Period); err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, Close{Period: in.Period, ClosedAt: time.Now().UTC(), ClosedByName: displayName(p)})
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/books/{id}/reopen", Summary: "反结账（县级管理员，须填写原因）", Tag: tag, Request: PeriodInput{}, Roles: "county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, _, err := ids(r)
			if err != nil {
				return err
			}
			var in PeriodInput
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			if q := r.URL.Query().Get("period"); q != "" && in.Period == "" {
				in.Period = q
			}
			if err := s.ReopenPeriod(r.Context(), web.Principal(r), id, in.Period, in.Reason); err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, map[string]string{"period": in.Period, "status": "reopened"})
			return nil
		})
}
