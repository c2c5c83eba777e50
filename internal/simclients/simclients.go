// Package simclients builds a client of every vendor against a running simulator, signed in with the
// simulator's credentials and blind to the environment (so that real credentials in it are never
// used). The demo, the Temporal test worker and tests share it.
package simclients

import (
	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
	"github.com/jobwatch/jobwatch/sdk/oracle"
	"github.com/jobwatch/jobwatch/sdk/tencent"
	"github.com/jobwatch/jobwatch/sdk/webex"
	"github.com/jobwatch/jobwatch/simulator"
)

// Clients holds one client per vendor.
type Clients struct {
	Oracle  *oracle.Client
	Huawei  *huawei.Client
	Webex   *webex.Client
	Tencent *tencent.Client
}

// Tencent is where the Tencent client imports users: the simulator accepts any region and store.
type Tencent struct{ Region, UserStoreID string }

// New returns clients of the four vendors against the simulator served at root, signed in with creds.
// opts (nil: the defaults) gives each client's other options; its BaseURL and Getenv are set here.
func New(root string, creds simulator.Credentials, tc Tencent, opts *sdk.ClientOptions) (*Clients, error) {
	at := func(vendor string) *sdk.ClientOptions {
		var o sdk.ClientOptions
		if opts != nil {
			o = *opts
		}
		o.BaseURL, o.Getenv = simulator.BaseURL(vendor, root), func(string) string { return "" }
		return &o
	}
	var c Clients
	var err error
	if c.Oracle, err = oracle.New(oracle.Config{Username: creds.OracleUsername, Password: sdk.Secret(creds.OraclePassword)}, at(simulator.Oracle)); err != nil {
		return nil, err
	}
	if c.Huawei, err = huawei.New(huawei.Config{AppKey: creds.HuaweiAppKey, AppSecret: sdk.Secret(creds.HuaweiAppSecret)}, at(simulator.Huawei)); err != nil {
		return nil, err
	}
	if c.Webex, err = webex.New(webex.Config{Token: sdk.Secret(creds.WebexToken)}, at(simulator.Webex)); err != nil {
		return nil, err
	}
	c.Tencent, err = tencent.New(tencent.Config{SecretID: creds.TencentSecretID, SecretKey: sdk.Secret(creds.TencentSecretKey),
		Region: tc.Region, UserStoreID: tc.UserStoreID}, at(simulator.Tencent))
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Pollers is the four clients as pollers, in the order Oracle, Huawei, Webex, Tencent.
func (c *Clients) Pollers() []sdk.Poller { return []sdk.Poller{c.Oracle, c.Huawei, c.Webex, c.Tencent} }
