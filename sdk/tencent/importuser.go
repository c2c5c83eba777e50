package tencent

import "github.com/jobwatch/jobwatch/generated/tencent/importjob"

// The types below are the parts of an ImportUser, re-exported so that callers of Submit need import only
// this package. Every field is a pointer (or a nil-able slice) and is omitted when unset, so a request
// carries only what the caller set.
type (
	// MemberMap is one custom attribute of ImportUser.CustomizationAttributes (Name, Value, Type).
	MemberMap = importjob.MemberMap
	// Salt is the salt of a salted-hash password (ImportUser.Salt): the value and where it goes.
	Salt = importjob.Salt
	// SaltLocation says where the salt goes: SaltLocationTypeEnum HEAD, TAIL or OTHER, and for OTHER a rule.
	SaltLocation = importjob.SaltLocation
	// SaltLocationRule places the salt by an expression (Regex) when the location is OTHER.
	SaltLocationRule = importjob.SaltLocationRule
)

// Password encryption values of ImportUser.PasswordEncryptTypeEnum. The field's official documentation
// lists SHA1 and BCRYPT; the ImportUser model's documentation also names plaintext and MD5 imports, whose
// spellings it does not give, so they have no constant here.
const (
	PasswordSHA1   = "SHA1"
	PasswordBCRYPT = "BCRYPT"
)

// Salt locations of SaltLocation.SaltLocationTypeEnum.
const (
	SaltHead  = "HEAD"
	SaltTail  = "TAIL"
	SaltOther = "OTHER"
)
