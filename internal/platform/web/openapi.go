package web

import (
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Op describes one API operation; Server.Handle registers the route and this entry together.
type Op struct {
	Method   string
	Path     string // ServeMux pattern path, e.g. /api/v1/subjects/{id}
	Summary  string // Chinese one-liner
	Tag      string
	Public   bool     // no authentication needed
	Query    []string // query parameters (name only, strings)
	Request  any      // example value of the request body type
	Response any      // example value of the success response type
	Status   int      // success status (default 200)
	Roles    string   // who may call it, for readers of the document
}

// OpenAPI collects operations and renders an OpenAPI 3 document.
type OpenAPI struct {
	mu  sync.Mutex
	ops []Op
}

// NewOpenAPI returns an empty registry.
func NewOpenAPI() *OpenAPI {
	o := &OpenAPI{}
	o.ops = append(o.ops, Op{Method: "GET", Path: "/api/v1/openapi.json", Summary: "本接口文档（OpenAPI 3）", Tag: "platform", Public: true})
	return o
}

// Add registers an operation.
func (o *OpenAPI) Add(op Op) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, op)
}

// Ops returns the registered operations.
func (o *OpenAPI) Ops() []Op {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Op(nil), o.ops...)
}

var pathParam = regexp.MustCompile(`\{([a-zA-Z_]+)\.{0,3}\}`)

// Document renders the OpenAPI 3.0 document.
func (o *OpenAPI) Document() map[string]any {
	paths := map[string]map[string]any{}
	schemas := map[string]any{}
	for _, op := range o.Ops() {
		p := pathParam.ReplaceAllString(op.Path, "{$1}")
		if paths[p] == nil {
			paths[p] = map[string]any{}
		}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(op.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		for _, q := range op.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "schema": map[string]any{"type": "string"}})
		}
		status := op.Status
		if status == 0 {
			status = 200
		}
		resp := map[string]any{"description": "成功"}
		if op.Response != nil {
			resp["content"] = map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(op.Response), schemas)}}
		}
		item := map[string]any{
			"summary":     op.Summary,
			"tags":        []string{op.Tag},
			"operationId": strings.ToLower(op.Method) + strings.NewReplacer("/api/v1", "", "/", "_", "{", "", "}", "", ".", "").Replace(op.Path),
			"responses": map[string]any{
				itoa(status): resp,
				"default":    map[string]any{"description": "错误", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}},
			},
		}
		if op.Roles != "" {
			item["description"] = "可用角色：" + op.Roles
		}
		if len(params) > 0 {
			item["parameters"] = params
		}
		if op.Request != nil {
			item["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": schemaOf(reflect.TypeOf(op.Request), schemas)}}}
		}
		if op.Public {
			item["security"] = []any{}
		}
		paths[p][strings.ToLower(op.Method)] = item
	}
	schemas["Error"] = map[string]any{"type": "object", "properties": map[string]any{"error": map[string]any{"type": "object", "properties": map[string]any{
		"code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"},
		"fields": map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}}}}}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "农服通 nongfu API", "version": "1",
			"description": "新型为农服务体系数字化平台接口。先调用 POST /api/v1/auth/login 取得 token，再以 Authorization: Bearer <token> 访问。列表接口返回 {items,total,page,per_page}。"},
		"paths":      paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
		"security":   []any{map[string]any{"bearer": []any{}}},
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

var timeType = reflect.TypeOf(time.Time{})

func schemaOf(t reflect.Type, schemas map[string]any) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == timeType {
		return map[string]any{"type": "string", "format": "date-time"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), schemas)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem(), schemas)}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Struct:
		name := t.Name()
		if name != "" {
			if pkg := t.PkgPath(); pkg != "" {
				name = pkg[strings.LastIndex(pkg, "/")+1:] + "." + name
			}
			ref := map[string]any{"$ref": "#/components/schemas/" + name}
			if _, ok := schemas[name]; ok {
				return ref
			}
			schemas[name] = map[string]any{} // placeholder against recursion
			schemas[name] = structSchema(t, schemas)
			return ref
		}
		return structSchema(t, schemas)
	}
	return map[string]any{}
}

func structSchema(t reflect.Type, schemas map[string]any) map[string]any {
	props := map[string]any{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			if sub, ok := structSchema(derefType(f.Type), schemas)["properties"].(map[string]any); ok {
				for k, v := range sub {
					props[k] = v
					names = append(names, k)
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		s := schemaOf(f.Type, schemas)
		if d := f.Tag.Get("doc"); d != "" {
			s = withDescription(s, d)
		}
		props[name] = s
		names = append(names, name)
	}
	sort.Strings(names)
	return map[string]any{"type": "object", "properties": props}
}

func derefType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func withDescription(s map[string]any, d string) map[string]any {
	if _, ok := s["$ref"]; ok {
		return map[string]any{"allOf": []any{s}, "description": d}
	}
	c := map[string]any{}
	for k, v := range s {
		c[k] = v
	}
	c["description"] = d
	return c
}
