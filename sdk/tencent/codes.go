package tencent

import (
	"strings"

	"github.com/jobwatch/jobwatch/sdk"
)

// Error codes documented for ListJobs and CreateApiImportUserJob, with their meaning.
const (
	CodeAuthFailure             = "AuthFailure"
	CodeDryRunOperation         = "DryRunOperation"
	CodeFailedOperation         = "FailedOperation"
	CodeDataFlowTooManyRequests = "FailedOperation.DataFlowTooManyRequests"
	CodeImportUserIsEmpty       = "FailedOperation.ImportUserIsEmpty"
	CodeInvalidTenant           = "FailedOperation.InvalidTenant"
	CodeInvalidUserStore        = "FailedOperation.InvalidUserStore"
	CodeQuotaLimitExceeded      = "FailedOperation.QuotaLimitExceeded"
	CodeInternalError           = "InternalError"
	CodeUnknownError            = "InternalError.UnknownError"
	CodeInvalidParameter        = "InvalidParameter"
	CodeParameterIllegal        = "InvalidParameter.ParameterIllegal"
	CodeInvalidParameterValue   = "InvalidParameterValue"
	CodeLimitExceeded           = "LimitExceeded"
	CodeMissingParameter        = "MissingParameter"
	CodeOperationDenied         = "OperationDenied"
	CodeRequestLimitExceeded    = "RequestLimitExceeded"
	CodeFrequentRequest         = "RequestLimitExceeded.FrequentRequest"
	CodeRepeatRequest           = "RequestLimitExceeded.RepeatRequest"
	CodeResourceInUse           = "ResourceInUse"
	CodeResourceInsufficient    = "ResourceInsufficient"
	CodeResourceNotFound        = "ResourceNotFound"
	CodeResourceUnavailable     = "ResourceUnavailable"
	CodeResourcesSoldOut        = "ResourcesSoldOut"
	CodeUnauthorizedOperation   = "UnauthorizedOperation"
	CodeTenantNotActivated      = "UnauthorizedOperation.TenantNotActivated"
	CodeUnknownParameter        = "UnknownParameter"
	CodeUnsupportedOperation    = "UnsupportedOperation"
)

// codeMeanings gives the documented meaning of each error code.
var codeMeanings = map[string]string{
	CodeAuthFailure:             "A CAM signature/authentication error occurred.",
	CodeDryRunOperation:         "The request would have succeeded, but DryRun was set.",
	CodeFailedOperation:         "The operation failed.",
	CodeDataFlowTooManyRequests: "There are already two valid tasks; wait for one to complete.",
	CodeImportUserIsEmpty:       "The user is empty during user import.",
	CodeInvalidTenant:           "The tenant is invalid.",
	CodeInvalidUserStore:        "The user pool is invalid.",
	CodeQuotaLimitExceeded:      "The quota is exceeded.",
	CodeInternalError:           "An internal error occurred.",
	CodeUnknownError:            "An unknown error occurred.",
	CodeInvalidParameter:        "The parameter is incorrect.",
	CodeParameterIllegal:        "The request parameter is invalid.",
	CodeInvalidParameterValue:   "The parameter value is incorrect.",
	CodeLimitExceeded:           "The quota limit is exceeded.",
	CodeMissingParameter:        "The parameter is missing.",
	CodeOperationDenied:         "The operation was denied.",
	CodeRequestLimitExceeded:    "The number of requests exceeds the frequency limit.",
	CodeFrequentRequest:         "Too many requests; try again later.",
	CodeRepeatRequest:           "Repeated request; try again later.",
	CodeResourceInUse:           "The resource is in use.",
	CodeResourceInsufficient:    "The resource is insufficient.",
	CodeResourceNotFound:        "The resource does not exist.",
	CodeResourceUnavailable:     "The resource is unavailable.",
	CodeResourcesSoldOut:        "The resources have been sold out.",
	CodeUnauthorizedOperation:   "The operation is unauthorized.",
	CodeTenantNotActivated:      "The service is not activated.",
	CodeUnknownParameter:        "The parameter is unknown.",
	CodeUnsupportedOperation:    "The operation is not supported.",
}

// kindForCode returns the sdk sentinel a Tencent error code means, by its family (the part before
// the first dot), nil when none fits.
func kindForCode(code string) error {
	family, _, _ := strings.Cut(code, ".")
	switch family {
	case CodeAuthFailure, CodeUnauthorizedOperation:
		return sdk.ErrUnauthorized
	case CodeRequestLimitExceeded:
		return sdk.ErrRateLimited
	case CodeInvalidParameter, CodeInvalidParameterValue, CodeMissingParameter, CodeUnknownParameter:
		return sdk.ErrInvalidInput
	case CodeResourceNotFound:
		return sdk.ErrNotFound
	case CodeInternalError:
		return sdk.ErrServerError
	}
	return nil
}
