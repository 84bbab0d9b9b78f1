package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"nongfu/internal/apperr"
	"nongfu/internal/solve/dispatch"
)

const dispatchUsage = `用法：nongfu solve dispatch 算例.json [--time-limit 5s] [--seed 1] [--max-iterations 0]
  读取农机调度算例（JSON，字段见 internal/solve/dispatch/api.go 的 Instance；文件名为 - 时读标准输入），
  在时间上限内求解，把调度方案（Plan）以 JSON 输出到标准输出。`

// maxDispatchFile bounds the instance file read into memory (a county's season is a few MB).
const maxDispatchFile = 256 << 20

// cmdSolveDispatch solves a dispatch instance file and prints the JSON plan.
func cmdSolveDispatch(ctx context.Context, env Env, args []string) error {
	fs := flag.NewFlagSet("solve dispatch", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	limit := fs.Duration("time-limit", dispatch.DefaultTimeLimit, "求解时间上限（Go 时长格式，如 5s、1m）")
	seed := fs.Uint64("seed", 1, "随机种子（同一种子、同样迭代次数结果相同）")
	iters := fs.Int("max-iterations", 0, "搜索迭代次数上限（0 表示只受时间上限约束）")
	pos, err := parse(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(env.Stdout, dispatchUsage)
			return nil
		}
		return fmt.Errorf("参数错误：%v\n%s", err, dispatchUsage)
	}
	if len(pos) != 1 {
		return fmt.Errorf("需要且只需要一个算例文件（收到 %d 个）\n%s", len(pos), dispatchUsage)
	}
	if *limit <= 0 {
		return fmt.Errorf("--time-limit 必须大于 0（收到 %s）", *limit)
	}
	if *iters < 0 {
		return fmt.Errorf("--max-iterations 不能小于 0（收到 %d）", *iters)
	}
	var r io.Reader = env.Stdin
	if pos[0] != "-" {
		f, err := os.Open(pos[0])
		if err != nil {
			return fmt.Errorf("无法打开算例文件 %s：%v", pos[0], err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxDispatchFile+1))
	if err != nil {
		return fmt.Errorf("读取算例文件 %s 失败：%v", pos[0], err)
	}
	if len(data) > maxDispatchFile {
		return fmt.Errorf("算例文件 %s 超过 %d MB", pos[0], maxDispatchFile>>20)
	}
	var inst dispatch.Instance
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&inst); err != nil {
		return fmt.Errorf("算例文件 %s 不是有效的调度算例 JSON：%v", pos[0], err)
	}
	plan, err := dispatch.Solve(ctx, &inst, dispatch.Options{TimeLimit: *limit, Seed: *seed, MaxIterations: *iters})
	if err != nil {
		return fmt.Errorf("算例 %s 无效：%s", pos[0], fieldList(err))
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(plan); err != nil {
		return fmt.Errorf("输出调度方案失败：%w", err)
	}
	return nil
}

// fieldList renders a validation error as one "field message" line per bad field, sorted.
func fieldList(err error) string {
	fields := apperr.FieldsOf(err)
	if len(fields) == 0 {
		return apperr.MessageOf(err)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n  %s %s", k, fields[k])
	}
	return b.String()
}
