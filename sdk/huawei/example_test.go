package huawei_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
	"github.com/jobwatch/jobwatch/sdk/huawei"
)

func ExampleClient_Status() {
	// A stand-in for the customer engagement API: a token, then a finished task with one failed user.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "tokenByAkSk") {
			fmt.Fprint(w, `{"AccessToken":"t","Expires":"600"}`)
			return
		}
		fmt.Fprint(w, `{"resultCode":"0","taskInfo":{"status":"DONE"},"failDataList":[
			{"federationUser":{"action":"CREATE","userAccount":"zhang.san"},"failCode":"60101000108"}]}`)
	}))
	defer srv.Close()

	c, err := huawei.New(huawei.Config{AppKey: "app", AppSecret: "secret"}, sdk.WithBaseURL(srv.URL))
	if err != nil {
		panic(err)
	}
	job, err := c.Status(context.Background(), "1659446191820726274")
	if err != nil {
		panic(err)
	}
	fmt.Println(job.State, job.Failures[0].User, job.Failures[0].Message)
	// Output: partially_succeeded zhang.san The user already exists.
}
