package service

import (
	"net/http"
	"strconv"

	"nongfu/internal/platform/web"
)

const (
	readRoles    = "county_admin、township_operator、department、taskforce、viewer（管辖范围内）；member（本县载体）"
	writeRoles   = "county_admin（县级中心及以下）、township_operator（本乡镇的乡镇中心、综合服务社、服务站）"
	handleRoles  = "county_admin、township_operator（载体在管辖范围内）"
	ownRoles     = "county_admin、township_operator、department、taskforce、viewer（载体在管辖范围内）；member（本人）"
	fileRoles    = "member（本人）；county_admin、township_operator（代办，载体在管辖范围内）"
	catalogRoles = "读：所有业务角色；改：county_admin（本县）"
)

func int64Param(r *http.Request, name string) int64 {
	v, _ := strconv.ParseInt(r.URL.Query().Get(name), 10, 64)
	return v
}

func (s *Service) apiRoutes(srv *web.Server) {
	const tag = "service"
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-centers", Summary: "服务载体（为农服务中心、综合服务社、村级服务站）", Tag: tag,
		Query: []string{"level", "status", "region", "q", "page", "per_page"}, Response: web.List[Center]{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			pg := web.ParsePage(r, 50, 500)
			q := r.URL.Query()
			items, total, err := s.ListCenters(r.Context(), web.Principal(r), CenterFilter{Level: q.Get("level"), Status: q.Get("status"), Region: q.Get("region"),
				Q: q.Get("q"), Page: pg.Page, PerPage: pg.PerPage})
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.ListOf(items, total, pg))
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-centers", Summary: "登记服务载体", Tag: tag, Request: CenterInput{}, Response: Center{}, Status: 201,
		Roles: writeRoles}, func(w http.ResponseWriter, r *http.Request) error {
		var in CenterInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		c, err := s.CreateCenter(r.Context(), web.Principal(r), in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, c)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-centers/{id}", Summary: "服务载体详情", Tag: tag, Response: Center{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			c, err := s.GetCenter(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, c)
			return nil
		})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/service-centers/{id}", Summary: "修改服务载体（整体替换）", Tag: tag, Request: CenterInput{}, Response: Center{},
		Roles: writeRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		var in CenterInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		c, err := s.UpdateCenter(r.Context(), web.Principal(r), id, in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, c)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-catalog", Summary: "服务目录（本县价格、标准亩系数、作业季、办结时限）", Tag: tag,
		Response: web.List[Item]{}, Roles: catalogRoles}, func(w http.ResponseWriter, r *http.Request) error {
		items, err := s.CatalogFor(r.Context(), web.Principal(r))
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, web.List[Item]{Items: items, Total: len(items), Page: 1, PerPage: len(items)})
		return nil
	})
	srv.Handle(web.Op{Method: "PUT", Path: "/api/v1/service-catalog/{code}", Summary: "调整服务目录（价格、标准亩系数、办结时限）", Tag: tag,
		Request: ItemPatch{}, Response: Item{}, Roles: "county_admin"}, func(w http.ResponseWriter, r *http.Request) error {
		var in ItemPatch
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		it, err := s.UpdateItem(r.Context(), web.Principal(r), r.PathValue("code"), in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, it)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-contracts", Summary: "签约服务", Tag: tag, Query: []string{"center_id", "page", "per_page"},
		Response: web.List[Contract]{}, Roles: ownRoles}, func(w http.ResponseWriter, r *http.Request) error {
		pg := web.ParsePage(r, 50, 500)
		items, total, err := s.ListContracts(r.Context(), web.Principal(r), int64Param(r, "center_id"), pg.Page, pg.PerPage)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, web.ListOf(items, total, pg))
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-contracts", Summary: "签订服务合同", Tag: tag, Request: ContractInput{}, Response: Contract{},
		Status: 201, Roles: handleRoles}, func(w http.ResponseWriter, r *http.Request) error {
		var in ContractInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		k, err := s.CreateContract(r.Context(), web.Principal(r), in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, k)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-requests", Summary: "服务申请（overdue=1 只看超时未办结）", Tag: tag,
		Query: []string{"status", "center_id", "overdue", "page", "per_page"}, Response: web.List[Request]{}, Roles: ownRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			pg := web.ParsePage(r, 50, 500)
			q := r.URL.Query()
			items, total, err := s.ListRequests(r.Context(), web.Principal(r), RequestFilter{Status: q.Get("status"), CenterID: int64Param(r, "center_id"),
				Overdue: q.Get("overdue") == "1" || q.Get("overdue") == "true", Page: pg.Page, PerPage: pg.PerPage})
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.ListOf(items, total, pg))
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/service-requests", Summary: "提交服务申请（工作人员提交即为代办）", Tag: tag, Request: RequestInput{},
		Response: Request{}, Status: 201, Roles: fileRoles}, func(w http.ResponseWriter, r *http.Request) error {
		var in RequestInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		q, err := s.FileRequest(r.Context(), web.Principal(r), in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, q)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/service-requests/{id}", Summary: "服务申请详情（含每一步的时间和经办人）", Tag: tag, Response: Request{},
		Roles: ownRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		q, err := s.GetRequest(r.Context(), web.Principal(r), id)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, q)
		return nil
	})
	for _, a := range []struct{ action, summary string }{{"accept", "受理"}, {"handle", "办理"}, {"finish", "办结"}, {"return", "退回（须填写原因）"}} {
		action := a.action
		op := web.Op{Method: "POST", Path: "/api/v1/service-requests/{id}/" + action, Summary: "服务申请：" + a.summary, Tag: tag, Response: Request{}, Roles: handleRoles}
		if action == "return" {
			op.Request = ActionInput{}
		}
		srv.Handle(op, func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			var in ActionInput
			if r.ContentLength != 0 {
				if err := web.DecodeJSON(r, &in); err != nil {
					return err
				}
			}
			q, err := s.Act(r.Context(), web.Principal(r), id, action, in.Reason)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, q)
			return nil
		})
	}
}
