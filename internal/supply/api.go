package supply

import (
	"net/http"
	"strconv"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/platform/web"
)

const (
	readRoles  = "county_admin、township_operator、department、taskforce、viewer（管辖范围内）；provider、member（本主体运营的网点）"
	writeRoles = "county_admin、township_operator（管辖范围内的网点）"
)

// queryID reads an optional id parameter.
func queryID(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.FieldErrors(map[string]string{name: "编号格式不正确"})
	}
	return id, nil
}

// ReverseInput notes why a move is reversed.
type ReverseInput struct {
	Note string `json:"note"`
}

func (s *Service) apiRoutes(srv *web.Server) {
	const tag = "supply"
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/supply/nodes", Summary: "物流节点、流通网点和服务站（本人可见）", Tag: tag,
		Query: []string{"kind", "township", "status", "q", "page", "per_page"}, Response: web.List[Node]{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			pg := web.ParsePage(r, 50, 500)
			q := r.URL.Query()
			items, total, err := s.ListNodes(r.Context(), web.Principal(r), NodeFilter{Kind: q.Get("kind"), Township: q.Get("township"),
				Status: q.Get("status"), Q: q.Get("q"), Page: pg.Page, PerPage: pg.PerPage})
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[Node]{Items: web.Deref(items), Total: total, Page: pg.Page, PerPage: pg.PerPage})
			return nil
		})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/supply/nodes", Summary: "新增网点", Tag: tag, Request: NodeInput{}, Response: Node{}, Status: 201,
		Roles: writeRoles}, func(w http.ResponseWriter, r *http.Request) error {
		var in NodeInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		n, err := s.CreateNode(r.Context(), web.Principal(r), in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, n)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/supply/nodes/{id}", Summary: "网点详情（含各商品库存）", Tag: tag, Response: Node{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			id, err := web.PathID(r, "id")
			if err != nil {
				return err
			}
			n, err := s.GetNode(r.Context(), web.Principal(r), id)
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, n)
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/supply/counts", Summary: "网点数量（按类型、乡镇，实时）", Tag: tag, Response: web.List[Count]{}, Roles: readRoles},
		func(w http.ResponseWriter, r *http.Request) error {
			list, err := s.Counts(r.Context(), web.Principal(r))
			if err != nil {
				return err
			}
			web.WriteJSON(w, http.StatusOK, web.List[Count]{Items: list, Total: len(list), Page: 1, PerPage: len(list)})
			return nil
		})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/supply/goods", Summary: "商品目录（农资、日用品）", Tag: tag, Query: []string{"category", "group", "q"},
		Response: web.List[Goods]{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		list, err := s.ListGoods(r.Context(), web.Principal(r), GoodsFilter{Category: q.Get("category"), Group: q.Get("group"), Q: q.Get("q")})
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, web.List[Goods]{Items: web.Deref(list), Total: len(list), Page: 1, PerPage: len(list)})
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/supply/goods", Summary: "商品目录新增", Tag: tag, Request: GoodsInput{}, Response: Goods{}, Status: 201,
		Roles: "county_admin"}, func(w http.ResponseWriter, r *http.Request) error {
		var in GoodsInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		g, err := s.CreateGoods(r.Context(), web.Principal(r), in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, g)
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/supply/moves", Summary: "库存流水（新的在前）", Tag: tag, Query: []string{"node_id", "goods_id", "kind", "page", "per_page"},
		Response: web.List[Move]{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		pg := web.ParsePage(r, 50, 500)
		nid, err := queryID(r, "node_id")
		if err != nil {
			return err
		}
		gid, err := queryID(r, "goods_id")
		if err != nil {
			return err
		}
		list, total, err := s.ListMoves(r.Context(), web.Principal(r), MoveFilter{NodeID: nid, GoodsID: gid, Kind: r.URL.Query().Get("kind"),
			Page: pg.Page, PerPage: pg.PerPage})
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, web.List[Move]{Items: web.Deref(list), Total: total, Page: pg.Page, PerPage: pg.PerPage})
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/supply/moves", Summary: "出入库：入库、销售/发放、损耗、盘点（实盘数）、调拨（to_node_id）；库存不足时 422",
		Tag: tag, Request: MoveInput{}, Response: web.List[Move]{}, Status: 201, Roles: writeRoles}, func(w http.ResponseWriter, r *http.Request) error {
		var in MoveInput
		if err := web.DecodeJSON(r, &in); err != nil {
			return err
		}
		list, err := s.Move(r.Context(), web.Principal(r), in)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, web.List[Move]{Items: web.Deref(list), Total: len(list), Page: 1, PerPage: len(list)})
		return nil
	})
	srv.Handle(web.Op{Method: "POST", Path: "/api/v1/supply/moves/{id}/reverse", Summary: "冲销一笔流水（调拨两侧同时冲销）", Tag: tag, Request: ReverseInput{},
		Response: web.List[Move]{}, Status: 201, Roles: writeRoles}, func(w http.ResponseWriter, r *http.Request) error {
		id, err := web.PathID(r, "id")
		if err != nil {
			return err
		}
		var in ReverseInput
		if r.ContentLength != 0 {
			if err := web.DecodeJSON(r, &in); err != nil {
				return err
			}
		}
		list, err := s.Reverse(r.Context(), web.Principal(r), id, in.Note)
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusCreated, web.List[Move]{Items: web.Deref(list), Total: len(list), Page: 1, PerPage: len(list)})
		return nil
	})
	srv.Handle(web.Op{Method: "GET", Path: "/api/v1/supply/stock", Summary: "库存（由流水汇总）", Tag: tag, Query: []string{"node_id", "goods_id"},
		Response: web.List[Stock]{}, Roles: readRoles}, func(w http.ResponseWriter, r *http.Request) error {
		nid, err := queryID(r, "node_id")
		if err != nil {
			return err
		}
		gid, err := queryID(r, "goods_id")
		if err != nil {
			return err
		}
		list, err := s.Stock(r.Context(), web.Principal(r), StockFilter{NodeID: nid, GoodsID: gid})
		if err != nil {
			return err
		}
		web.WriteJSON(w, http.StatusOK, web.List[Stock]{Items: list, Total: len(list), Page: 1, PerPage: len(list)})
		return nil
	})
}
