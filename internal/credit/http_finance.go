package credit

import (
	"fmt"
	"net/http"
	"strconv"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/auth"
	"nongfu/internal/platform/web"
)

// JSON API and screens of guarantees, pledges, insurance and 贴息.

func decodeAnd[T any, R any](w http.ResponseWriter, r *http.Request, status int, fn func(T) (R, error)) error {
	var in T
	if err := web.DecodeJSON(r, &in); err != nil {
		return err
	}
	out, err := fn(in)
	if err != nil {
		return err
	}
	web.WriteJSON(w, status, out)
	return nil
}

func (s *Service) financeAPI(srv *web.Server) {
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/guarantees", Summary: "登记政府性融资担保（每笔贷款一笔在保担保）", Tag: "credit", Request: GuaranteeInput{}, Response: Guarantee{},
		Status: 201, Roles: "放贷 bank；county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			return decodeAnd(w, r, http.StatusCreated, func(in GuaranteeInput) (*Guarantee, error) { return s.AddGuarantee(r.Context(), web.Principal(r), in) })
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/guarantees/{id}/compensate", Summary: "担保代偿", Tag: "credit", Request: struct {
		AmountFen int64 `json:"amount_fen"`
	}{}, Roles: "放贷 bank；county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in struct {
				AmountFen int64 `json:"amount_fen"`
			}
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
			if err := s.Compensate(r.Context(), web.Principal(r), id, in.AmountFen); err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, map[string]any{"ok": true})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/loans/{id}/guarantees", Summary: "贷款的担保", Tag: "credit", Response: web.List[Guarantee]{}, Roles: readNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			l, err := s.Guarantees(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			writeList(w, l, len(l), web.PageReq{Page: 1, PerPage: len(l)})
			return nil
		})
	type pledgeIn struct {
		LoanID     int64 `json:"loan_id"`
		ContractID int64 `json:"contract_id" doc:"流通模块的订单合同编号"`
	}
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/pledges", Summary: "订单合同/应收账款质押（一份合同只能质押给一笔贷款，结清后解除）", Tag: "credit", Request: pledgeIn{},
		Response: Pledge{}, Status: 201, Roles: "放贷 bank；county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			return decodeAnd(w, r, http.StatusCreated, func(in pledgeIn) (*Pledge, error) {
				return s.PledgeContract(r.Context(), web.Principal(r), in.LoanID, in.ContractID)
			})
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/loans/{id}/pledges", Summary: "贷款的质押", Tag: "credit", Response: web.List[Pledge]{}, Roles: readNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			l, err := s.Pledges(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			writeList(w, l, len(l), web.PageReq{Page: 1, PerPage: len(l)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/insurance-products", Summary: "农业保险产品", Tag: "credit", Response: web.List[InsuranceProduct]{}, Roles: readNote},
		func(w http.ResponseWriter, r *http.Request) error {
			l, err := s.InsuranceProducts(r.Context(), web.Principal(r))
			if err != nil {
				return err
			}
			writeList(w, l, len(l), web.PageReq{Page: 1, PerPage: len(l)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/insurance-products", Summary: "设立农业保险产品（收入保险、区域产量保险、农机具综合保险 …）", Tag: "credit",
		Request: InsuranceProductInput{}, Response: InsuranceProduct{}, Status: 201, Roles: "保险机构（bank 角色）；county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			return decodeAnd(w, r, http.StatusCreated, func(in InsuranceProductInput) (*InsuranceProduct, error) {
				return s.CreateInsuranceProduct(r.Context(), web.Principal(r), in)
			})
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/insurance-policies", Summary: "保单", Tag: "credit", Query: []string{"subject_id"}, Response: web.List[Policy]{}, Roles: readNote},
		func(w http.ResponseWriter, r *http.Request) error {
			sub, err := queryInt(r, "subject_id")
			if err != nil {
				return err
			}
			l, err := s.Policies(r.Context(), web.Principal(r), sub)
			if err != nil {
				return err
			}
			writeList(w, l, len(l), web.PageReq{Page: 1, PerPage: len(l)})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/insurance-policies", Summary: "出具保单（保费按费率计算，含财政补贴部分）", Tag: "credit", Request: PolicyInput{}, Response: Policy{},
		Status: 201, Roles: "承保机构；county_admin、township_operator（管辖范围内）"},
		func(w http.ResponseWriter, r *http.Request) error {
			return decodeAnd(w, r, http.StatusCreated, func(in PolicyInput) (*Policy, error) { return s.IssuePolicy(r.Context(), web.Principal(r), in) })
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/insurance-policies/{id}", Summary: "保单及理赔", Tag: "credit", Response: Policy{}, Roles: readNote},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			x, err := s.GetPolicy(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, x)
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/insurance-claims", Summary: "理赔（赔付不超过损失和剩余保额；0 为拒赔须写原因）", Tag: "credit", Request: ClaimInput{},
		Response: Policy{}, Status: 201, Roles: "承保机构；county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			return decodeAnd(w, r, http.StatusCreated, func(in ClaimInput) (*Policy, error) { return s.SettleClaim(r.Context(), web.Principal(r), in) })
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/subsidy-rules", Summary: "设定某年度新型经营主体贷款贴息规则（比例、每户上限）", Tag: "credit", Request: SubsidyRule{},
		Response: SubsidyRule{}, Roles: "county_admin"},
		func(w http.ResponseWriter, r *http.Request) error {
			return decodeAnd(w, r, http.StatusOK, func(in SubsidyRule) (*SubsidyRule, error) { return s.SetSubsidyRule(r.Context(), web.Principal(r), in) })
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/subsidies", Summary: "年度贴息清单（按实付利息计算；导出 Excel 见 /credit/subsidies/export?year=）", Tag: "credit",
		Query: []string{"year", "county_code"}, Response: struct {
			Rule  *SubsidyRule `json:"rule"`
			Items []SubsidyRow `json:"items"`
		}{}, Roles: "county_admin、township_operator、department、taskforce、viewer"},
		func(w http.ResponseWriter, r *http.Request) error {
			year, _ := strconv.Atoi(r.URL.Query().Get("year"))
			if year == 0 {
				year = s.today().Year()
			}
			rule, rows, err := s.Subsidies(r.Context(), web.Principal(r), r.URL.Query().Get("county_code"), year)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, map[string]any{"rule": rule, "items": rows})
			return nil
		})
}

var financeRoles = []auth.Role{auth.CountyAdmin, auth.TownshipOperator, auth.Bank, auth.Member, auth.Provider}

func (s *Service) financePages(srv *web.Server) {
	srv.Page("POST /credit/loans/{id}/guarantee", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		_ = r.ParseForm()
		amt, ok := parseYuan(r.PostForm.Get("amount"))
		fee, ok2 := parsePercent(r.PostForm.Get("fee"))
		if !ok || !ok2 {
			return apperr.FieldErrors(map[string]string{"amount_fen": "担保金额（元）和费率（%）应为数字"})
		}
		g, err := s.AddGuarantee(r.Context(), web.Principal(r), GuaranteeInput{LoanID: id, GuarantorID: mustInt(r.PostForm.Get("guarantor_id")), AmountFen: amt, FeeBP: fee})
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("已登记 %s 的担保", g.GuarantorName))
		web.Redirect(w, r, fmt.Sprintf("/credit/loans/%d", id))
		return nil
	})
	srv.Page("POST /credit/loans/{id}/pledge", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		_ = r.ParseForm()
		pl, err := s.PledgeContract(r.Context(), web.Principal(r), id, mustInt(r.PostForm.Get("contract_id")))
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("合同 %s 已质押", pl.ContractNo))
		web.Redirect(w, r, fmt.Sprintf("/credit/loans/%d", id))
		return nil
	})
	srv.Page("GET /credit/insurance", func(w http.ResponseWriter, r *http.Request) error {
		p := web.Principal(r)
		prods, err := s.InsuranceProducts(r.Context(), p)
		if err != nil {
			return err
		}
		pols, err := s.Policies(r.Context(), p, 0)
		if err != nil {
			return err
		}
		return web.Render(w, r, http.StatusOK, "credit/insurance.html", map[string]any{"Products": prods, "Policies": pols})
	})
	srv.Page("GET /credit/insurance/{id}", func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		x, err := s.GetPolicy(r.Context(), web.Principal(r), id)
		if err != nil {
			return err
		}
		return web.Render(w, r, http.StatusOK, "credit/policy.html", map[string]any{"P": x})
	})
	srv.Page("GET /credit/subsidies", func(w http.ResponseWriter, r *http.Request) error {
		p := web.Principal(r)
		year, _ := strconv.Atoi(r.URL.Query().Get("year"))
		if year == 0 {
			year = s.today().Year()
		}
		rule, rows, err := s.Subsidies(r.Context(), p, "", year)
		if err != nil {
			return err
		}
		var ti, ts int64
		for _, x := range rows {
			ti += x.InterestFen
			ts += x.SubsidyFen
		}
		return web.Render(w, r, http.StatusOK, "credit/subsidies.html", map[string]any{"Rule": rule, "Items": rows, "Year": year, "Interest": ti, "Subsidy": ts,
			"CanSet": p.Is(auth.CountyAdmin)})
	})
	srv.Page("POST /credit/subsidies", func(w http.ResponseWriter, r *http.Request) error {
		_ = r.ParseForm()
		year, _ := strconv.Atoi(r.PostForm.Get("year"))
		share, _ := strconv.Atoi(r.PostForm.Get("share_pct"))
		capFen, ok := parseYuan(r.PostForm.Get("cap"))
		if !ok {
			return apperr.FieldErrors(map[string]string{"cap_fen": "上限应为金额（元）"})
		}
		rule, err := s.SetSubsidyRule(r.Context(), web.Principal(r), SubsidyRule{Year: year, SharePct: share, CapFen: capFen, Note: r.PostForm.Get("note")})
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("已设定 %d 年贴息规则", rule.Year))
		web.Redirect(w, r, fmt.Sprintf("/credit/subsidies?year=%d", rule.Year))
		return nil
	})
	srv.Page("GET /credit/subsidies/export", s.exportSubsidies)
}

// Display helpers.

// PctText is the premium rate.
func (x InsuranceProduct) PctText() string { return bpText(x.PremiumBP) }

// Badge of a policy.
func (x Policy) Badge() string {
	if x.Status == "active" {
		return "ok"
	}
	return ""
}

// StatusLabel of a policy.
func (x Policy) StatusLabel() string {
	if x.Status == "active" {
		return "有效"
	}
	return "已到期"
}

// StatusLabel of a claim.
func (c Claim) StatusLabel() string {
	if c.Status == "paid" {
		return "已赔付"
	}
	return "拒赔"
}

func (s *Service) peerPages(srv *web.Server) {
	srv.Page("GET /credit/peer", func(w http.ResponseWriter, r *http.Request) error {
		p := web.Principal(r)
		if !isSelf(p) || p.SubjectID == 0 {
			return apperr.New(apperr.Forbidden, "会员互评由会员本人进行")
		}
		period := r.URL.Query().Get("period")
		if period == "" {
			period = s.period()
		}
		items, res, err := s.PeerReviews(r.Context(), p, p.SubjectID, period)
		if err != nil {
			return err
		}
		ids, err := s.TradingPartners(r.Context(), p, p.SubjectID, period)
		if err != nil {
			return err
		}
		var partners []option
		names := s.names(r.Context(), ids...)
		for _, id := range ids {
			if x := names[id]; x != nil {
				partners = append(partners, option{strconv.FormatInt(id, 10), x.Name})
			}
		}
		return web.Render(w, r, http.StatusOK, "credit/peer.html", map[string]any{"Items": items, "Result": res, "Period": period, "Partners": partners,
			"Wired": s.Partners != nil, "Self": p.SubjectID})
	})
	srv.Page("POST /credit/peer", func(w http.ResponseWriter, r *http.Request) error {
		_ = r.ParseForm()
		score, _ := strconv.Atoi(r.PostForm.Get("score"))
		x, err := s.RatePartner(r.Context(), web.Principal(r), PeerInput{Period: r.PostForm.Get("period"), RateeID: mustInt(r.PostForm.Get("ratee_id")), Score: score, Comment: r.PostForm.Get("comment")})
		if err != nil {
			return err
		}
		web.Flash(w, fmt.Sprintf("已评价 %s：%d 分", x.RateeName, x.Score))
		web.Redirect(w, r, "/credit/peer?period="+x.Period)
		return nil
	})
}
