package supervision

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
)

// parseYuan reads an amount in 元 with at most two decimals into 分, exactly.
func parseYuan(field, v string) (int64, error) {
	v = strings.ReplaceAll(strings.TrimSpace(v), ",", "")
	if v == "" {
		return 0, fieldErr(field, "请填写金额（元）")
	}
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > 2 {
		return 0, fieldErr(field, "金额最多两位小数")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || w > math.MaxInt64/100-1 {
		return 0, fieldErr(field, "金额格式不正确")
	}
	return w*100 + f, nil
}

func (s *Service) fundsPage(w http.ResponseWriter, r *http.Request) error {
	return s.renderFunds(w, r, http.StatusOK, nil)
}

func (s *Service) renderFunds(w http.ResponseWriter, r *http.Request, status int, extra map[string]any) error {
	p := web.Principal(r)
	funds, err := s.Funds(r.Context(), p)
	if err != nil {
		return err
	}
	var total Fund
	for _, f := range funds {
		total.BudgetFen += f.BudgetFen
		total.AllocatedFen += f.AllocatedFen
		total.DisbursedFen += f.DisbursedFen
		total.BalanceFen += f.BalanceFen
	}
	units, err := s.Units(r.Context(), p)
	if err != nil {
		return err
	}
	data := map[string]any{"Funds": funds, "Total": total, "Categories": FundCategories, "CanCreate": canEditPlan(p) == nil, "Units": units, "Fields": map[string]string{}}
	for k, v := range extra {
		data[k] = v
	}
	return web.Render(w, r, status, "supervision/funds.html", data)
}

func (s *Service) fundPost(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return apperr.New(apperr.Invalid, "表单格式错误")
	}
	f := r.PostForm
	in := FundInput{Code: f.Get("code"), Name: f.Get("name"), Category: f.Get("category"), Note: f.Get("note")}
	in.UnitID, _ = strconv.ParseInt(f.Get("unit_id"), 10, 64)
	x, err := s.CreateFund(r.Context(), web.Principal(r), in)
	if err != nil {
		if !isUserError(err) {
			return err
		}
		msg, fields := pageErr(err)
		return s.renderFunds(w, r, http.StatusUnprocessableEntity, map[string]any{"Error": msg, "Fields": fields, "Form": in})
	}
	web.Flash(w, "已设立专项资金 "+x.Name)
	web.Redirect(w, r, fmt.Sprintf("/supervision/funds/%d", x.ID))
	return nil
}

func (s *Service) renderFund(w http.ResponseWriter, r *http.Request, status int, id int64, extra map[string]any) error {
	p := web.Principal(r)
	f, err := s.GetFund(r.Context(), p, id)
	if err != nil {
		return err
	}
	units, err := s.Units(r.Context(), p)
	if err != nil {
		return err
	}
	tasks, err := s.Tasks(r.Context(), p, TaskFilter{})
	if err != nil {
		return err
	}
	canWrite := s.canWriteFund(r.Context(), s.db, p, f.UnitID) == nil
	data := map[string]any{"F": f, "Units": units, "Tasks": tasks, "CanWrite": canWrite, "Year": s.now().In(web.Shanghai).Year(),
		"Today": s.now().In(web.Shanghai).Format("2006-01-02"), "Fields": map[string]string{}, "Form": "", "FormID": int64(0)}
	for k, v := range extra {
		data[k] = v
	}
	return web.Render(w, r, status, "supervision/fund.html", data)
}

func (s *Service) fundPage(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	return s.renderFund(w, r, http.StatusOK, id, nil)
}

// fundForm runs a fund sub-form (budget, allocation, disbursement) and re-renders the fund page on bad input.
func (s *Service) fundForm(w http.ResponseWriter, r *http.Request, fundOf func(ctx context.Context, id int64) int64, form string, do func(id int64) (string, error)) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	if err := r.ParseMultipartForm(8 << 20); err != nil && err != http.ErrNotMultipart {
		return fieldErr("files", "附件过大或上传不完整")
	}
	msg, err := do(id)
	fundID := fundOf(r.Context(), id)
	if err != nil {
		if !isUserError(err) {
			return err
		}
		m, fields := pageErr(err)
		return s.renderFund(w, r, http.StatusUnprocessableEntity, fundID, map[string]any{"Form": form, "FormID": id, "Error": m, "Fields": fields, "Posted": r.PostForm})
	}
	web.Flash(w, msg)
	web.Redirect(w, r, fmt.Sprintf("/supervision/funds/%d", fundID))
	return nil
}

func (s *Service) fundOfBudget(ctx context.Context, id int64) int64 {
	var f int64
	_ = s.db.QueryRowContext(ctx, `SELECT fund_id FROM sup_budgets WHERE id = ?`, id).Scan(&f)
	return f
}

func (s *Service) fundOfAllocation(ctx context.Context, id int64) int64 {
	var f int64
	_ = s.db.QueryRowContext(ctx, `SELECT b.fund_id FROM sup_allocations a JOIN sup_budgets b ON b.id = a.budget_id WHERE a.id = ?`, id).Scan(&f)
	return f
}

func (s *Service) budgetPost(w http.ResponseWriter, r *http.Request) error {
	return s.fundForm(w, r, func(_ context.Context, id int64) int64 { return id }, "budget", func(id int64) (string, error) {
		f := r.PostForm
		year, err := strconv.Atoi(strings.TrimSpace(f.Get("year")))
		if err != nil {
			return "", fieldErr("year", "请填写年度")
		}
		amount, err := parseYuan("amount_fen", f.Get("amount"))
		if err != nil {
			return "", err
		}
		b, err := s.AddBudget(r.Context(), web.Principal(r), id, BudgetInput{Year: year, Purpose: f.Get("purpose"), AmountFen: amount})
		return fmt.Sprintf("已新增 %d 年预算 %s 元", b.Year, web.FormatYuanExact(b.AmountFen)), err
	})
}

func (s *Service) allocationPost(w http.ResponseWriter, r *http.Request) error {
	return s.fundForm(w, r, s.fundOfBudget, "allocation", func(id int64) (string, error) {
		f := r.PostForm
		amount, err := parseYuan("amount_fen", f.Get("amount"))
		if err != nil {
			return "", err
		}
		in := AllocationInput{Project: f.Get("project"), AmountFen: amount, AllocatedOn: f.Get("allocated_on"), Note: f.Get("note")}
		in.UnitID, _ = strconv.ParseInt(f.Get("unit_id"), 10, 64)
		in.TaskID, _ = strconv.ParseInt(f.Get("task_id"), 10, 64)
		a, err := s.Allocate(r.Context(), web.Principal(r), id, in)
		return fmt.Sprintf("已下达 %s 元给 %s", web.FormatYuanExact(a.AmountFen), a.UnitName), err
	})
}

func (s *Service) disbursementPost(w http.ResponseWriter, r *http.Request) error {
	return s.fundForm(w, r, s.fundOfAllocation, "disbursement", func(id int64) (string, error) {
		f := r.PostForm
		amount, err := parseYuan("amount_fen", f.Get("amount"))
		if err != nil {
			return "", err
		}
		in := DisbursementInput{VoucherNo: f.Get("voucher_no"), AmountFen: amount, PaidOn: f.Get("paid_on"), Payee: f.Get("payee"), Note: f.Get("note")}
		if r.MultipartForm != nil {
			for _, fh := range r.MultipartForm.File["files"] {
				if fh.Size == 0 {
					continue
				}
				file, err := fh.Open()
				if err != nil {
					return "", fieldErr("files", "附件读取失败")
				}
				b := make([]byte, 0, fh.Size)
				buf := make([]byte, 32<<10)
				for {
					n, err := file.Read(buf)
					b = append(b, buf[:n]...)
					if err != nil || len(b) > MaxFileBytes {
						break
					}
				}
				file.Close()
				in.Files = append(in.Files, FileInput{Name: fh.Filename, ContentType: fh.Header.Get("Content-Type"), data: b})
			}
		}
		d, err := s.Disburse(r.Context(), web.Principal(r), id, in)
		return fmt.Sprintf("已登记拨付 %s 元（凭证 %s）", web.FormatYuanExact(d.AmountFen), d.VoucherNo), err
	})
}
