package sdk_test

import (
	"encoding/json"
	"fmt"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/webex"
)

// A Config's secrets print and marshal as [REDACTED]; the vendor package alone reads them.
func ExampleSecret() {
	token := "my-token" // read from your vault, say
	cfg := webex.Config{Token: sdk.Secret(token), OrgID: "org-1"}
	fmt.Printf("%+v\n", cfg)
	b, _ := json.Marshal(cfg)
	fmt.Println(string(b))
	// Output:
	// {Token:[REDACTED] OrgID:org-1 Credentials:<nil>}
	// {"Token":"[REDACTED]","OrgID":"org-1"}
}
