package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// Environment variables the CLI reads besides the sdk's credential variables, so that the lines
// `jobwatch simulate` prints are enough to point every command at the simulator.
const (
	envBaseURLFmt = "JOBWATCH_%s_BASE_URL" // per vendor, upper case: JOBWATCH_ORACLE_BASE_URL, ...
	envUserStore  = "JOBWATCH_TENCENT_USER_STORE"
)

var vendors = []string{"oracle", "huawei", "webex", "tencent"}

// opts holds every flag; each command registers the ones it takes.
type opts struct {
	vendor, baseURL, output       string
	userStore, region, org, api   string
	job, jobsFile, addr, har      string
	live                          bool
	timeout, minDelay, maxDelay   time.Duration
	fs                            *flag.FlagSet
	vendorSet, delaySet, timedSet bool
}

func newFlags(name string, e env) *opts {
	o := &opts{fs: flag.NewFlagSet("jobwatch "+name, flag.ContinueOnError)}
	o.fs.SetOutput(e.stderr)
	return o
}

func (o *opts) vendorFlags() *opts {
	o.vendorSet = true
	o.fs.StringVar(&o.vendor, "vendor", "", "vendor: oracle, huawei, webex or tencent (required)")
	o.fs.StringVar(&o.baseURL, "base-url", "", "the vendor's base URL, overriding its host (Oracle needs one; or JOBWATCH_<VENDOR>_BASE_URL)")
	o.fs.StringVar(&o.userStore, "user-store", "", "Tencent: the user store id (or "+envUserStore+")")
	o.fs.StringVar(&o.region, "region", "", "Tencent: the region, e.g. ap-guangzhou (or "+tencent.EnvRegion+")")
	o.fs.StringVar(&o.org, "org", "", "Webex: the organization id (partner administrators)")
	o.fs.StringVar(&o.api, "api", "", "Oracle: v1 (Basic, default) or v3 (Bearer)")
	return o
}

func (o *opts) outputFlag() *opts {
	o.fs.StringVar(&o.output, "output", "table", "output: table or json (one object per job per line)")
	return o
}

func (o *opts) timeoutFlag() *opts {
	o.timedSet = true
	o.fs.DurationVar(&o.timeout, "timeout", 0, "bound the whole command, e.g. 30m (default: the wait's own 6h budget)")
	return o
}

func (o *opts) delayFlags() *opts {
	o.delaySet = true
	o.fs.DurationVar(&o.minDelay, "min-delay", sdk.DefaultMinDelay, "first delay between polls")
	o.fs.DurationVar(&o.maxDelay, "max-delay", sdk.DefaultMaxDelay, "longest delay between polls")
	return o
}

// parse reads args and checks what every command shares.
func (o *opts) parse(args []string) error {
	if err := o.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if o.fs.NArg() > 0 {
		return usagef("unexpected argument %q (flags only; see -h)", o.fs.Arg(0))
	}
	if o.output != "" && o.output != "table" && o.output != "json" {
		return usagef("--output %q: want table or json", o.output)
	}
	if o.timedSet && o.timeout < 0 {
		return usagef("--timeout %s is negative", o.timeout)
	}
	if o.delaySet && (o.minDelay <= 0 || o.maxDelay < o.minDelay) {
		return usagef("--min-delay %s and --max-delay %s: want 0 < min ≤ max", o.minDelay, o.maxDelay)
	}
	if !o.vendorSet {
		return nil
	}
	switch {
	case o.vendor == "":
		return usagef("--vendor is required: one of %s", strings.Join(vendors, ", "))
	case !contains(vendors, o.vendor):
		return usagef("--vendor %q: want one of %s", o.vendor, strings.Join(vendors, ", "))
	case o.userStore != "" && o.vendor != "tencent", o.region != "" && o.vendor != "tencent":
		return usagef("--user-store and --region apply to tencent only")
	case o.org != "" && o.vendor != "webex":
		return usagef("--org applies to webex only")
	case o.api != "" && o.vendor != "oracle":
		return usagef("--api applies to oracle only")
	case o.api != "" && o.api != "v1" && o.api != "v3":
		return usagef("--api %q: want v1 or v3", o.api)
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// context bounds the command by --timeout.
func (o *opts) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout > 0 {
		return context.WithTimeout(ctx, o.timeout)
	}
	return context.WithCancel(ctx)
}

// client builds the vendor's sdk client from the flags and the environment. A missing credential or
// setting is a usage error: the command line or the environment lacks it.
func (o *opts) client(e env, extra ...sdk.Option) (sdk.Poller, error) {
	base := o.baseURL
	if base == "" {
		base = e.getenv(fmt.Sprintf(envBaseURLFmt, strings.ToUpper(o.vendor)))
	}
	so := []sdk.Option{sdk.WithGetenv(e.getenv)}
	if e.transport != nil {
		so = append(so, sdk.WithHTTPClient(&http.Client{Transport: e.transport}))
	}
	so = append(so, extra...)
	if base != "" {
		so = append(so, sdk.WithBaseURL(base))
	}
	var (
		p   sdk.Poller
		err error
	)
	switch o.vendor {
	case "oracle":
		if base == "" {
			return nil, usagef("oracle needs --base-url (or %s): its host is per tenant", fmt.Sprintf(envBaseURLFmt, "ORACLE"))
		}
		p, err = oracle.New(oracle.Config{API: oracle.API(o.api)}, so...)
	case "huawei":
		p, err = huawei.New(huawei.Config{}, so...)
	case "webex":
		p, err = webex.New(webex.Config{OrgID: o.org}, so...)
	case "tencent":
		store := o.userStore
		if store == "" {
			store = e.getenv(envUserStore)
		}
		if store == "" {
			return nil, usagef("tencent needs --user-store (or %s)", envUserStore)
		}
		p, err = tencent.New(tencent.Config{Region: o.region, UserStoreID: store}, so...)
	}
	if err != nil {
		return nil, &usageError{err.Error()}
	}
	return p, nil
}
