################################################################################
# General
################################################################################

variable "name" {
  description = "Base name of every resource (role, function, API, log groups). Lowercase letters, digits and hyphens, at most 40 characters, starting with a letter."
  type        = string
  default     = "signed-import"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.name))
    error_message = "name must be 2-40 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "tags" {
  description = "Tags applied to every taggable resource."
  type        = map(string)
  default     = {}
  nullable    = false
}

################################################################################
# Bucket
################################################################################

variable "create_bucket" {
  description = "Create and harden the bucket. When false, `bucket_name` must name an existing bucket: only IAM is scoped to it, and its hardening stays the owner's job."
  type        = bool
  default     = true
  nullable    = false
}

variable "bucket_name" {
  description = "Explicit bucket name. When null and `create_bucket` is true, a unique name is generated from `name`. Required when `create_bucket` is false."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 characters of lowercase letters, digits, dots and hyphens."
  }

  validation {
    condition     = var.create_bucket || var.bucket_name != null
    error_message = "bucket_name is required when create_bucket is false."
  }

  validation {
    condition     = !var.create_bucket || var.bucket_name == null || !strcontains(coalesce(var.bucket_name, "-"), ".")
    error_message = "bucket_name must not contain dots when the module creates the bucket: dotted names cannot use virtual-hosted HTTPS URLs."
  }
}

variable "key_prefix" {
  description = "Every object key starts with this prefix; the signer's IAM policy allows writes under it only. One or more path segments, each ending in '/'."
  type        = string
  default     = "imports/"
  nullable    = false

  validation {
    condition     = can(regex("^([A-Za-z0-9!_.'()-]+/)+$", var.key_prefix)) && !contains(split("/", var.key_prefix), "..") && !contains(split("/", var.key_prefix), ".")
    error_message = "key_prefix must be one or more path segments of letters, digits and !_.'()- each ending in '/', e.g. \"imports/\": no leading '/', no '.' or '..' segments and no '*' (it would widen the signer's IAM grant)."
  }
}

variable "force_destroy" {
  description = "Only when create_bucket is true. Allow `terraform destroy` to delete the bucket with all its objects. Objects deleted this way are NOT recoverable."
  type        = bool
  default     = false
  nullable    = false
}

variable "kms_key_arn" {
  description = "KMS key ARN for SSE-KMS. When the module creates the bucket, its default encryption; with an existing bucket, only the signer's permission. When null, SSE-S3 (AES256) is used. With a key, the signer is granted kms:GenerateDataKey and kms:Decrypt on it through S3 only (uploads fail with 403 otherwise; completing a multipart upload reads its parts)."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "versioning_enabled" {
  description = "Only when create_bucket is true. Enable bucket versioning, so an overwritten or deleted import can be recovered until `noncurrent_version_expiration_days`."
  type        = bool
  default     = true
  nullable    = false
}

variable "noncurrent_version_expiration_days" {
  description = "Only when create_bucket is true. Days after which noncurrent object versions are deleted."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of at least 1."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Only when create_bucket is true. Days after which S3 aborts an incomplete multipart upload and deletes its parts."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of at least 1."
  }
}

variable "object_expiration_days" {
  description = "Only when create_bucket is true. When set, imported objects under `key_prefix` expire this many days after upload. Null keeps them until deleted. Expired objects are NOT recoverable once their noncurrent versions expire."
  type        = number
  default     = null

  validation {
    condition     = var.object_expiration_days == null || try(var.object_expiration_days >= 1 && floor(var.object_expiration_days) == var.object_expiration_days, false)
    error_message = "object_expiration_days must be null or a whole number of at least 1."
  }
}

variable "access_logging" {
  description = "Only when create_bucket is true. Server access logging for the bucket: the target bucket (which must accept logs from this one) and an optional prefix. Null disables access logging."
  type = object({
    target_bucket = string
    target_prefix = optional(string, "")
  })
  default = null
}

variable "cors_allowed_origins" {
  description = "Origins of web pages allowed to use the module from a browser (e.g. [\"https://app.example.com\"]), or [\"*\"]. The API answers CORS preflights (OPTIONS, without authorization) on every route and sends Access-Control-Allow-Origin for these origins on every response, errors included; when create_bucket is true the bucket allows PUT from them with the signed headers (Content-Type, If-None-Match, SHA-256 and CRC-64/NVME checksums, x-amz-meta-*) and exposes ETag and the checksums so they can complete multipart uploads. Empty means no CORS anywhere."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for origin in var.cors_allowed_origins : can(regex("^(https?://[^\\s/]+|\\*)$", origin))])
    error_message = "cors_allowed_origins entries must be origins like \"https://app.example.com\" (scheme and host, no path) or \"*\"."
  }
}

variable "attach_deny_insecure_transport_policy" {
  description = "Only when create_bucket is true. Attach a bucket policy denying every request not made over TLS. Keep true in AWS; only local emulators that ignore policy conditions need false."
  type        = bool
  default     = true
  nullable    = false
}

variable "enforce_conditional_writes" {
  description = "Only when create_bucket is true. A bucket policy statement denies every PutObject and CompleteMultipartUpload under key_prefix that lacks If-None-Match (part uploads exempt through s3:ObjectCreationOperation), so not even a leaked signer credential can overwrite an import. CopyObject into key_prefix is then refused too. Keep true in AWS; only local emulators that ignore policy conditions need false."
  type        = bool
  default     = true
  nullable    = false
}

variable "eventbridge_notifications" {
  description = "Only when create_bucket is true. Send the bucket's S3 events to Amazon EventBridge, so that \"Object Created\" events under `key_prefix` (a single PUT or a completed multipart upload) can be routed to any target with the `object_created_event_pattern` output. EventBridge charges per event delivered to a rule that matches it. False sends no events (malware_protection's GuardDuty plan turns them on all the same: it listens to them); with an existing bucket its owner decides (the output's pattern then matches only if they enable EventBridge)."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# Uploads
################################################################################

variable "malware_protection" {
  description = "GuardDuty Malware Protection for S3 on the imports (objects under key_prefix). GET /import/{id} and the completion answer then report each import's scan result (pending, no_threats_found, threats_found or failed), read from the GuardDutyMalwareScanStatus tag GuardDuty puts on the object. plan = \"CREATE\" (default) makes the protection plan, tagging on, and the IAM role GuardDuty scans with; \"EXISTING\" relies on a plan managed elsewhere for this bucket and prefix (with tagging on), whose role role_arn names. block_unscanned_reads (default true) adds AWS's tag-based access control to the bucket policy: an import can be read (s3:GetObject) only once GuardDuty tagged it NO_THREATS_FOUND, and no one but GuardDuty may set that tag; the GuardDuty role and the signer (which reads metadata only) are exempt. GuardDuty scans objects created once the plan is active: imports stored before stay pending (and, blocked, unreadable) until scanned on demand. Null: no scanning."
  type = object({
    plan                  = optional(string, "CREATE")
    role_arn              = optional(string)
    block_unscanned_reads = optional(bool, true)
  })
  default = null

  validation {
    condition     = var.malware_protection == null || try(contains(["CREATE", "EXISTING"], var.malware_protection.plan), false)
    error_message = "malware_protection.plan must be CREATE or EXISTING."
  }

  validation {
    condition = var.malware_protection == null || try(
      var.malware_protection.plan == "CREATE" ? var.malware_protection.role_arn == null
      : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.malware_protection.role_arn)),
      false
    )
    error_message = "malware_protection.role_arn is the IAM role of an EXISTING plan (arn:<partition>:iam::<account>:role/<name>); with plan = \"CREATE\" the module makes the role, so leave it unset."
  }

  validation {
    condition     = var.malware_protection == null || try(!var.malware_protection.block_unscanned_reads, true) || var.create_bucket
    error_message = "malware_protection.block_unscanned_reads writes the bucket policy: it needs create_bucket = true (on an existing bucket, add AWS's tag-based access control statements to its policy yourself and set block_unscanned_reads = false)."
  }
}

variable "allowed_content_types" {
  description = "Content types a client may declare: exact media types or `type/*`. Anything else is refused with 415."
  type        = list(string)
  default = [
    "application/octet-stream",
    "application/json",
    "application/gzip",
    "application/zip",
    "application/pdf",
    "text/csv",
    "text/plain",
  ]
  nullable = false

  validation {
    condition     = length(var.allowed_content_types) > 0 && alltrue([for t in var.allowed_content_types : can(regex("^[a-z0-9][a-z0-9!#$&^_.+-]*/(\\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$", t))])
    error_message = "allowed_content_types must be a non-empty list of lowercase media types like \"text/csv\" or wildcards like \"image/*\"."
  }
}

variable "multipart_enabled" {
  description = "Offer multipart imports: declared sizes above `multipart_threshold_bytes` (or requests with \"multipart\": true) get a multipart upload whose parts are signed one URL each, resumable through the /import/{import_id}/parts and /complete routes, up to 10,000 parts of at most 5 GiB. The signer role then also gets s3:AbortMultipartUpload, s3:ListMultipartUploadParts and s3:ListBucketMultipartUploads. False limits every import to one PUT of at most 5 GiB, so `max_upload_bytes` must then be at most 5368709120 (its default is larger)."
  type        = bool
  default     = true
  nullable    = false
}

variable "multipart_threshold_bytes" {
  description = "Only when multipart_enabled is true. Declared sizes above this many bytes use a multipart upload; smaller ones a single PUT unless the request asks for multipart. 5242880 (5 MiB, S3's smallest part) to 5368709120 (5 GiB, S3's largest single PUT)."
  type        = number
  default     = 104857600
  nullable    = false

  validation {
    condition     = var.multipart_threshold_bytes >= 5242880 && var.multipart_threshold_bytes <= 5368709120 && floor(var.multipart_threshold_bytes) == var.multipart_threshold_bytes
    error_message = "multipart_threshold_bytes must be a whole number between 5242880 (5 MiB) and 5368709120 (5 GiB)."
  }
}

variable "max_imports_per_request" {
  description = "Most single-PUT imports one POST /imports call may create (1 to 100; each item is answered or refused on its own). A usage plan's quota and throttle count calls, not imports: a call may start this many. 0 leaves the route out of the API."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.max_imports_per_request >= 0 && var.max_imports_per_request <= 100 && floor(var.max_imports_per_request) == var.max_imports_per_request
    error_message = "max_imports_per_request must be a whole number from 0 (no POST /imports route) to 100."
  }
}

variable "max_upload_bytes" {
  description = "Largest size a client may declare, in bytes. Larger declared sizes are refused with 413. At most 53687091200000 (10,000 parts of 5 GiB, the most one multipart upload can hold); at most 5368709120 (5 GiB, S3's limit for a single PUT) when multipart_enabled is false."
  type        = number
  default     = 5497558138880
  nullable    = false

  validation {
    condition     = var.max_upload_bytes >= 1 && var.max_upload_bytes <= 53687091200000 && floor(var.max_upload_bytes) == var.max_upload_bytes
    error_message = "max_upload_bytes must be a whole number between 1 and 53687091200000 (10,000 parts of 5 GiB)."
  }

  validation {
    condition     = var.multipart_enabled || var.max_upload_bytes <= 5368709120
    error_message = "max_upload_bytes must be at most 5368709120 (5 GiB, S3's limit for a single PUT) when multipart_enabled is false: set it explicitly, its default is larger."
  }
}

variable "url_expiry_seconds" {
  description = "Lifetime of signed upload URLs, 60 to 3600 seconds. A URL also dies when the role session that signed it ends, whatever this says, so longer values would promise what the credentials cannot keep."
  type        = number
  default     = 900
  nullable    = false

  validation {
    condition     = var.url_expiry_seconds >= 60 && var.url_expiry_seconds <= 3600 && floor(var.url_expiry_seconds) == var.url_expiry_seconds
    error_message = "url_expiry_seconds must be a whole number between 60 and 3600."
  }
}

################################################################################
# Authorization
################################################################################

variable "authorization_type" {
  description = "How callers of every route of the API are authorized: AWS_IAM (SigV4-signed requests), COGNITO_USER_POOLS (with `cognito_user_pool_arns`), CUSTOM (with `custom_authorizer`), or NONE (only with `allow_unauthenticated = true`)."
  type        = string
  default     = "AWS_IAM"
  nullable    = false

  validation {
    condition     = contains(["AWS_IAM", "COGNITO_USER_POOLS", "CUSTOM", "NONE"], var.authorization_type)
    error_message = "authorization_type must be one of AWS_IAM, COGNITO_USER_POOLS, CUSTOM or NONE."
  }

  validation {
    condition     = var.authorization_type != "NONE" || var.allow_unauthenticated
    error_message = "authorization_type = \"NONE\" leaves the API open to anyone; it also requires allow_unauthenticated = true."
  }

  validation {
    condition     = var.authorization_type != "COGNITO_USER_POOLS" || length(var.cognito_user_pool_arns) > 0
    error_message = "authorization_type = \"COGNITO_USER_POOLS\" requires at least one entry in cognito_user_pool_arns."
  }

  validation {
    condition     = var.authorization_type != "CUSTOM" || var.custom_authorizer != null
    error_message = "authorization_type = \"CUSTOM\" requires custom_authorizer."
  }
}

variable "allow_unauthenticated" {
  description = "Explicit opt-in for authorization_type = \"NONE\": anyone who can reach the API can then obtain upload URLs."
  type        = bool
  default     = false
  nullable    = false
}

variable "cognito_user_pool_arns" {
  description = "Cognito user pool ARNs whose tokens are accepted when authorization_type is COGNITO_USER_POOLS."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for arn in var.cognito_user_pool_arns : can(regex("^arn:aws[a-z-]*:cognito-idp:[a-z0-9-]+:[0-9]{12}:userpool/.+$", arn))])
    error_message = "cognito_user_pool_arns entries must be Cognito user pool ARNs (arn:<partition>:cognito-idp:<region>:<account>:userpool/<id>)."
  }
}

variable "cognito_authorization_scopes" {
  description = "OAuth scopes an access token must carry when authorization_type is COGNITO_USER_POOLS. Empty accepts ID tokens."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "custom_authorizer" {
  description = "Lambda authorizer for authorization_type CUSTOM: its function ARN, TOKEN or REQUEST type, identity source and result cache TTL. API Gateway is granted permission to invoke it."
  type = object({
    function_arn       = string
    type               = optional(string, "TOKEN")
    identity_source    = optional(string, "method.request.header.Authorization")
    result_ttl_seconds = optional(number, 300)
  })
  default = null

  validation {
    condition     = var.custom_authorizer == null || try(can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", var.custom_authorizer.function_arn)) && contains(["TOKEN", "REQUEST"], var.custom_authorizer.type) && var.custom_authorizer.result_ttl_seconds >= 0 && var.custom_authorizer.result_ttl_seconds <= 3600, false)
    error_message = "custom_authorizer needs an unqualified Lambda function ARN, type TOKEN or REQUEST, and result_ttl_seconds between 0 and 3600."
  }
}

variable "caller_isolation" {
  description = "Each caller sees, signs parts for, completes and aborts only its own imports: keys become `key_prefix` + a partition derived from the caller's identity (IAM principal for AWS_IAM, token `sub` for COGNITO_USER_POOLS, principalId for CUSTOM) + \"/\" + import id, and another caller's import id answers 404. No effect with authorization_type NONE (there is no caller). False lets every authorized caller read, complete and abort any import whose id it knows, and keys are `key_prefix` + import id. Changing it changes where new keys land and makes imports started before the change unreachable through the API."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# IAM
################################################################################

variable "role_path" {
  description = "Path of the IAM roles the module creates."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = can(regex("^/([A-Za-z0-9+=,.@_-]+/)*$", var.role_path))
    error_message = "role_path must start and end with '/', e.g. \"/service-roles/\"."
  }
}

variable "role_permissions_boundary" {
  description = "ARN of a managed policy used as permissions boundary of the IAM roles the module creates. Null sets none."
  type        = string
  default     = null

  validation {
    condition     = var.role_permissions_boundary == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.role_permissions_boundary))
    error_message = "role_permissions_boundary must be an IAM policy ARN."
  }
}

################################################################################
# Lambda
################################################################################

variable "lambda_runtime" {
  description = "Python runtime of the signer."
  type        = string
  default     = "python3.13"
  nullable    = false

  # Every runtime accepted here must support SnapStart (Python 3.12 or later): snapstart_enabled
  # relies on it (tests/snapstart.tftest.hcl plans SnapStart on the oldest one).
  validation {
    condition     = contains(["python3.12", "python3.13"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.12 or python3.13."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the signer: arm64 (cheaper) or x86_64."
  type        = string
  default     = "arm64"
  nullable    = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "lambda_memory_size" {
  description = "Memory of the signer in MB; more memory also means more CPU and a faster cold start."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.lambda_memory_size >= 128 && var.lambda_memory_size <= 10240 && floor(var.lambda_memory_size) == var.lambda_memory_size
    error_message = "lambda_memory_size must be a whole number between 128 and 10240."
  }
}

variable "lambda_timeout" {
  description = "Timeout of the signer in seconds; API Gateway gives up after 29 s anyway."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.lambda_timeout >= 1 && var.lambda_timeout <= 29 && floor(var.lambda_timeout) == var.lambda_timeout
    error_message = "lambda_timeout must be a whole number between 1 and 29."
  }
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrent executions of the signer: caps how many uploads can be signed at once and protects the rest of the account. -1 means unreserved (uses the account pool; needed in accounts with a low concurrency quota)."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.lambda_reserved_concurrency == -1 || (var.lambda_reserved_concurrency >= 1 && floor(var.lambda_reserved_concurrency) == var.lambda_reserved_concurrency)
    error_message = "lambda_reserved_concurrency must be -1 (unreserved) or a whole number of at least 1 (0 would disable the function)."
  }
}

variable "lambda_environment_kms_key_arn" {
  description = "KMS key ARN to encrypt the signer's environment variables (and, with snapstart_enabled, its snapshots). Null uses the AWS managed key (the environment holds no secrets)."
  type        = string
  default     = null

  validation {
    condition     = var.lambda_environment_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.lambda_environment_kms_key_arn))
    error_message = "lambda_environment_kms_key_arn must be a KMS key ARN."
  }
}

variable "snapstart_enabled" {
  description = "Lambda SnapStart for the signer: every change of its code or configuration publishes a version whose initialized state Lambda snapshots, an alias \"live\" follows the newest version, and API Gateway invokes (and is permitted to invoke) that alias only. Cuts the cold start after idle or scale-out; billed per cached snapshot (every published version, until deleted) and per restore. Every lambda_runtime the module accepts supports it (Python 3.12 or later). Not combinable with provisioned concurrency, EFS or ephemeral storage above 512 MB. Switching it in a deployed stack replaces the API's invoke permissions: requests can fail during that apply. See README: SnapStart."
  type        = bool
  default     = false
  nullable    = false
}

################################################################################
# Logs and tracing
################################################################################

variable "log_retention_days" {
  description = "Retention of the signer's and the stage's CloudWatch log groups, in days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention value: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "logs_kms_key_arn" {
  description = "KMS key ARN to encrypt the CloudWatch log groups. Null uses CloudWatch's default encryption. The key policy must allow the CloudWatch Logs service principal."
  type        = string
  default     = null

  validation {
    condition     = var.logs_kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.logs_kms_key_arn))
    error_message = "logs_kms_key_arn must be a KMS key ARN."
  }
}

variable "xray_tracing_enabled" {
  description = "X-Ray tracing for the stage and the signer (Active mode)."
  type        = bool
  default     = true
  nullable    = false
}

################################################################################
# API Gateway
################################################################################

variable "stage_name" {
  description = "Name of the API stage; part of every URL."
  type        = string
  default     = "v1"
  nullable    = false

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 letters, digits, hyphens or underscores."
  }
}

variable "throttling_rate_limit" {
  description = "Steady-state requests per second allowed on the stage; excess gets 429."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.throttling_rate_limit > 0
    error_message = "throttling_rate_limit must be greater than 0."
  }
}

variable "throttling_burst_limit" {
  description = "Burst of requests allowed on the stage above the rate limit. At most lambda_reserved_concurrency (unless that is -1): a burst the function cannot absorb would turn into 5xx instead of 429."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.throttling_burst_limit >= 1 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "throttling_burst_limit must be a whole number of at least 1."
  }

  validation {
    condition     = var.lambda_reserved_concurrency == -1 || var.throttling_burst_limit <= var.lambda_reserved_concurrency
    error_message = "throttling_burst_limit must not exceed lambda_reserved_concurrency: excess requests would be throttled by Lambda (5xx) instead of by the stage (429)."
  }
}

variable "usage_plans" {
  description = "Usage plans by name, each a request quota and/or throttle for the consumers on it (api_consumers). Setting any makes every route require an API key (the x-api-key header) on top of authorization_type: keys meter and identify consumers, they never authenticate them. API Gateway applies quotas and throttles on a best-effort basis. Quota periods: DAY, WEEK or MONTH; offset is the number of requests taken off the limit in the first period."
  type = map(object({
    description = optional(string)
    quota = optional(object({
      limit  = number
      period = string
      offset = optional(number, 0)
    }))
    throttle = optional(object({
      rate_limit  = number
      burst_limit = number
    }))
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for name in keys(var.usage_plans) : can(regex("^[A-Za-z0-9_-]{1,64}$", name))])
    error_message = "usage_plans names must be 1-64 letters, digits, '-' or '_'."
  }

  validation {
    condition     = alltrue([for plan in values(var.usage_plans) : plan.quota != null || plan.throttle != null])
    error_message = "Every usage plan needs a quota, a throttle or both: a plan with neither meters nothing."
  }

  validation {
    condition = alltrue([
      for plan in values(var.usage_plans) : plan.quota == null || try(
        contains(["DAY", "WEEK", "MONTH"], plan.quota.period) &&
        plan.quota.limit >= 1 && floor(plan.quota.limit) == plan.quota.limit &&
        plan.quota.offset >= 0 && floor(plan.quota.offset) == plan.quota.offset && plan.quota.offset < plan.quota.limit,
        false
      )
    ])
    error_message = "A usage plan's quota needs period DAY, WEEK or MONTH, a whole limit of at least 1 and a whole offset from 0 to limit - 1."
  }

  validation {
    condition = alltrue([
      for plan in values(var.usage_plans) : plan.throttle == null || try(
        plan.throttle.rate_limit > 0 && plan.throttle.rate_limit <= var.throttling_rate_limit &&
        plan.throttle.burst_limit >= 1 && floor(plan.throttle.burst_limit) == plan.throttle.burst_limit &&
        plan.throttle.burst_limit <= var.throttling_burst_limit,
        false
      )
    ])
    error_message = "A usage plan's throttle needs a rate_limit above 0 and a whole burst_limit of at least 1, neither above the stage's throttling_rate_limit and throttling_burst_limit (a request must pass both)."
  }
}

variable "api_consumers" {
  description = "API keys by consumer name, each on one of usage_plans (usage_plan). API Gateway generates each key's value: the api_keys output (sensitive) hands them out. enabled = false refuses the key (403) without deleting it."
  type = map(object({
    usage_plan  = string
    description = optional(string)
    enabled     = optional(bool, true)
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for name in keys(var.api_consumers) : can(regex("^[A-Za-z0-9_.-]{1,128}$", name))])
    error_message = "api_consumers names must be 1-128 letters, digits, '.', '-' or '_'."
  }

  validation {
    condition     = alltrue([for consumer in values(var.api_consumers) : contains(keys(var.usage_plans), consumer.usage_plan)])
    error_message = "Every api_consumers entry must name one of usage_plans in usage_plan."
  }
}

variable "logging_level" {
  description = "API Gateway execution logging level: ERROR, INFO or OFF. Request and response bodies are never logged (they hold signed URLs)."
  type        = string
  default     = "ERROR"
  nullable    = false

  validation {
    condition     = contains(["ERROR", "INFO", "OFF"], var.logging_level)
    error_message = "logging_level must be ERROR, INFO or OFF."
  }
}

variable "manage_api_gateway_account" {
  description = "Create the IAM role that lets API Gateway write CloudWatch logs and set it on the regional API Gateway account. This is a per-region singleton: enable it in exactly one stack per account and region, and only if no other stack manages it. Stage logging fails until some stack has set it. Destroying it with provider v5 leaves the regional setting pointing at the deleted role (v6 resets it)."
  type        = bool
  default     = false
  nullable    = false
}

variable "waf_web_acl_arn" {
  description = "Regional WAFv2 web ACL ARN to associate with the stage. Null associates none."
  type        = string
  default     = null

  validation {
    condition     = var.waf_web_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/.+$", var.waf_web_acl_arn))
    error_message = "waf_web_acl_arn must be a regional WAFv2 web ACL ARN."
  }
}

variable "api_resource_policy" {
  description = "JSON resource policy for the REST API (e.g. to restrict source IPs or VPC endpoints). Name the API as \"execute-api:/*\" (or \"execute-api:/<stage>/<METHOD>/<path>\"), which API Gateway expands to this API's ARN: the rest_api_execution_arn output would be a dependency cycle. Kept on the API itself, so a body update cannot drop it. Null attaches none."
  type        = string
  default     = null

  validation {
    condition     = var.api_resource_policy == null || can(jsondecode(var.api_resource_policy))
    error_message = "api_resource_policy must be a JSON policy document."
  }
}

variable "endpoint_type" {
  description = "The API's endpoint type: REGIONAL (reachable from anywhere; authorization and api_resource_policy decide who may call) or PRIVATE (reachable only through the execute-api interface VPC endpoints in vpc_endpoint_ids: the module writes a resource policy refusing every other source). See README: Private deployments."
  type        = string
  default     = "REGIONAL"
  nullable    = false

  validation {
    condition     = contains(["REGIONAL", "PRIVATE"], var.endpoint_type)
    error_message = "endpoint_type must be REGIONAL or PRIVATE."
  }
}

variable "vpc_endpoint_ids" {
  description = "Interface VPC endpoints for execute-api (com.amazonaws.<region>.execute-api) through which a PRIVATE API may be invoked: its resource policy refuses requests from any other source, and API Gateway creates a DNS name per endpoint (the vpc_endpoint_import_urls output). Required with endpoint_type = \"PRIVATE\", refused otherwise."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.vpc_endpoint_ids : can(regex("^vpce-([0-9a-f]{8}|[0-9a-f]{17})$", id))])
    error_message = "vpc_endpoint_ids must be VPC endpoint ids: vpce- and 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = length(distinct(var.vpc_endpoint_ids)) == length(var.vpc_endpoint_ids)
    error_message = "vpc_endpoint_ids must not repeat an id."
  }

  validation {
    condition     = (var.endpoint_type == "PRIVATE") == (length(var.vpc_endpoint_ids) > 0)
    error_message = "endpoint_type = \"PRIVATE\" needs at least one VPC endpoint in vpc_endpoint_ids, and vpc_endpoint_ids apply to a PRIVATE API only."
  }
}

variable "upload_endpoint_url" {
  description = "The S3 endpoint the signed upload URLs name, when consumers must not use S3's public regional endpoint: an S3 interface VPC endpoint's bucket DNS name, https://bucket.vpce-<id>.s3.<region>.vpce.amazonaws.com (the URLs address the bucket path-style under it). The signer's own S3 calls keep S3's regional endpoint. Null: S3's regional virtual-hosted endpoint. See README: Private deployments."
  type        = string
  default     = null

  validation {
    condition     = var.upload_endpoint_url == null || can(regex("^https://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$", var.upload_endpoint_url))
    error_message = "upload_endpoint_url must be https:// and a host name only, e.g. https://bucket.vpce-0123456789abcdef0-abcd1234.s3.eu-west-1.vpce.amazonaws.com."
  }
}

variable "upload_vpc_endpoint_ids" {
  description = "Only when create_bucket is true. S3 VPC endpoints (interface or gateway) through which uploads must arrive: a bucket policy statement denies every PutObject under key_prefix authenticated in the query string (a signed URL: single PUTs and parts) that does not come through one of them (aws:SourceVpce). The signer's own S3 calls, authenticated in headers, are not affected. Empty: uploads from anywhere the URL reaches."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.upload_vpc_endpoint_ids : can(regex("^vpce-([0-9a-f]{8}|[0-9a-f]{17})$", id))])
    error_message = "upload_vpc_endpoint_ids must be VPC endpoint ids: vpce- and 8 or 17 hexadecimal digits."
  }

  validation {
    condition     = length(distinct(var.upload_vpc_endpoint_ids)) == length(var.upload_vpc_endpoint_ids)
    error_message = "upload_vpc_endpoint_ids must not repeat an id."
  }

  validation {
    condition     = length(var.upload_vpc_endpoint_ids) == 0 || var.create_bucket
    error_message = "upload_vpc_endpoint_ids needs create_bucket = true: the bucket policy of an existing bucket is its owner's (README: Private deployments describes the statement to add)."
  }

  validation {
    condition = var.upload_endpoint_url == null ? true : (
      length(var.upload_vpc_endpoint_ids) == 0 ||
      anytrue([for id in var.upload_vpc_endpoint_ids : strcontains(var.upload_endpoint_url, ".${id}-")])
    )
    error_message = "upload_endpoint_url must be the DNS name of one of upload_vpc_endpoint_ids (https://bucket.<endpoint id>-<suffix>.s3...): the bucket would refuse every upload through any other."
  }
}

variable "domain_name" {
  description = "A custom domain for the API (e.g. uploads.example.com), mapped to the stage under base_path; import_url then uses it. A regional API Gateway domain name with TLS 1.2 for a REGIONAL API; for a PRIVATE one, a private custom domain name that only vpc_endpoint_ids may invoke, each associated with it (so they must be endpoints of the module's account: only an endpoint's owner can associate it). Needs certificate_arn. Null: the execute-api URL only. See README: Custom domain."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.domain_name))
    error_message = "domain_name must be a lowercase DNS name such as uploads.example.com."
  }
}

variable "certificate_arn" {
  description = "ACM certificate for domain_name, in the API's region (a regional or private custom domain takes a certificate of its region, not one from us-east-1). Required with domain_name, refused without it."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)."
  }

  validation {
    condition     = (var.certificate_arn == null) == (var.domain_name == null)
    error_message = "domain_name and certificate_arn go together: set both or neither."
  }
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone in which to create domain_name's alias record (A): to API Gateway's regional domain name for a REGIONAL API; for a PRIVATE one, to the DNS name of the first of vpc_endpoint_ids, in a private hosted zone associated with that endpoint's VPC. Null: create none (point the name yourself: the regional_domain_name output, or an execute-api VPC endpoint's DNS name). Whether it is set must be known at plan time: pass an existing zone's id (a data source, another stack), not one created in the same apply."
  type        = string
  default     = null

  validation {
    condition     = var.route53_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id))
    error_message = "route53_zone_id must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ."
  }

  validation {
    condition     = var.route53_zone_id == null || var.domain_name != null
    error_message = "route53_zone_id needs domain_name."
  }
}

variable "base_path" {
  description = "Path under domain_name at which the API's stage is mapped: \"\" for the root (https://<domain_name>/import), or one segment such as \"uploads\" (https://<domain_name>/uploads/import)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.base_path == "" || can(regex("^[a-zA-Z0-9._-]{1,128}$", var.base_path))
    error_message = "base_path must be empty or one path segment of letters, digits, '.', '_' or '-'."
  }
}
