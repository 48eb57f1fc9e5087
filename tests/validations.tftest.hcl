# One plan per variable validation: each bad value must be refused with its own message.

mock_provider "aws" {
  override_during = plan
  source          = "./tests/mocks"
}

run "name_uppercase" {
  command = plan

  variables {
    name = "Signed-Import"
  }

  expect_failures = [var.name]
}

run "name_too_long" {
  command = plan

  variables {
    name = "a23456789012345678901234567890123456789012"
  }

  expect_failures = [var.name]
}

run "bucket_name_invalid" {
  command = plan

  variables {
    bucket_name = "My_Bucket"
  }

  expect_failures = [var.bucket_name]
}

run "existing_bucket_without_name" {
  command = plan

  variables {
    create_bucket = false
  }

  expect_failures = [var.bucket_name]
}

run "key_prefix_without_slash" {
  command = plan

  variables {
    key_prefix = "imports"
  }

  expect_failures = [var.key_prefix]
}

run "key_prefix_traversal" {
  command = plan

  variables {
    key_prefix = "imports/../"
  }

  expect_failures = [var.key_prefix]
}

run "key_prefix_absolute" {
  command = plan

  variables {
    key_prefix = "/imports/"
  }

  expect_failures = [var.key_prefix]
}

run "noncurrent_days_zero" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}

run "abort_multipart_days_fraction" {
  command = plan

  variables {
    abort_incomplete_multipart_upload_days = 1.5
  }

  expect_failures = [var.abort_incomplete_multipart_upload_days]
}

run "object_expiration_zero" {
  command = plan

  variables {
    object_expiration_days = 0
  }

  expect_failures = [var.object_expiration_days]
}

run "cors_origin_with_path" {
  command = plan

  variables {
    cors_allowed_origins = ["https://app.example.com/upload"]
  }

  expect_failures = [var.cors_allowed_origins]
}

run "kms_key_not_arn" {
  command = plan

  variables {
    kms_key_arn = "alias/my-key"
  }

  expect_failures = [var.kms_key_arn]
}

run "content_types_empty" {
  command = plan

  variables {
    allowed_content_types = []
  }

  expect_failures = [var.allowed_content_types]
}

run "content_type_invalid" {
  command = plan

  variables {
    allowed_content_types = ["text/csv\r\nX-Evil: 1"]
  }

  expect_failures = [var.allowed_content_types]
}

run "max_upload_over_10000_parts" {
  command = plan

  variables {
    max_upload_bytes = 53687091200001
  }

  expect_failures = [var.max_upload_bytes]
}

run "max_upload_over_5gib_without_multipart" {
  command = plan

  variables {
    multipart_enabled = false
    max_upload_bytes  = 5368709121
  }

  expect_failures = [var.max_upload_bytes]
}

run "multipart_disabled_with_default_max_upload" {
  command = plan

  variables {
    multipart_enabled = false
  }

  expect_failures = [var.max_upload_bytes]
}

run "imports_per_request_over_100" {
  command = plan

  variables {
    max_imports_per_request = 101
  }

  expect_failures = [var.max_imports_per_request]
}

run "imports_per_request_fraction" {
  command = plan

  variables {
    max_imports_per_request = 2.5
  }

  expect_failures = [var.max_imports_per_request]
}

run "multipart_threshold_below_5mib" {
  command = plan

  variables {
    multipart_threshold_bytes = 5242879
  }

  expect_failures = [var.multipart_threshold_bytes]
}

run "multipart_threshold_over_5gib" {
  command = plan

  variables {
    multipart_threshold_bytes = 5368709121
  }

  expect_failures = [var.multipart_threshold_bytes]
}

run "multipart_threshold_fraction" {
  command = plan

  variables {
    multipart_threshold_bytes = 5242880.5
  }

  expect_failures = [var.multipart_threshold_bytes]
}

run "max_upload_zero" {
  command = plan

  variables {
    max_upload_bytes = 0
  }

  expect_failures = [var.max_upload_bytes]
}

run "expiry_too_short" {
  command = plan

  variables {
    url_expiry_seconds = 59
  }

  expect_failures = [var.url_expiry_seconds]
}

run "expiry_too_long" {
  command = plan

  variables {
    url_expiry_seconds = 3601
  }

  expect_failures = [var.url_expiry_seconds]
}

run "authorization_unknown" {
  command = plan

  variables {
    authorization_type = "API_KEY"
  }

  expect_failures = [var.authorization_type]
}

run "authorization_none_without_opt_in" {
  command = plan

  variables {
    authorization_type = "NONE"
  }

  expect_failures = [var.authorization_type]
}

run "cognito_without_pools" {
  command = plan

  variables {
    authorization_type = "COGNITO_USER_POOLS"
  }

  expect_failures = [var.authorization_type]
}

run "custom_without_authorizer" {
  command = plan

  variables {
    authorization_type = "CUSTOM"
  }

  expect_failures = [var.authorization_type]
}

run "cognito_pool_not_arn" {
  command = plan

  variables {
    cognito_user_pool_arns = ["eu-west-1_abc"]
  }

  expect_failures = [var.cognito_user_pool_arns]
}

run "custom_authorizer_bad_type" {
  command = plan

  variables {
    custom_authorizer = { function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:auth", type = "COOKIE" }
  }

  expect_failures = [var.custom_authorizer]
}

run "lambda_runtime_old" {
  command = plan

  variables {
    lambda_runtime = "python3.9"
  }

  expect_failures = [var.lambda_runtime]
}

run "lambda_architecture_unknown" {
  command = plan

  variables {
    lambda_architecture = "riscv"
  }

  expect_failures = [var.lambda_architecture]
}

run "lambda_memory_too_small" {
  command = plan

  variables {
    lambda_memory_size = 64
  }

  expect_failures = [var.lambda_memory_size]
}

run "lambda_timeout_over_api_limit" {
  command = plan

  variables {
    lambda_timeout = 30
  }

  expect_failures = [var.lambda_timeout]
}

run "reserved_concurrency_zero" {
  command = plan

  variables {
    lambda_reserved_concurrency = 0
  }

  expect_failures = [var.lambda_reserved_concurrency]
}

run "lambda_env_kms_not_arn" {
  command = plan

  variables {
    lambda_environment_kms_key_arn = "my-key"
  }

  expect_failures = [var.lambda_environment_kms_key_arn]
}

run "log_retention_not_allowed" {
  command = plan

  variables {
    log_retention_days = 42
  }

  expect_failures = [var.log_retention_days]
}

run "logs_kms_not_arn" {
  command = plan

  variables {
    logs_kms_key_arn = "my-key"
  }

  expect_failures = [var.logs_kms_key_arn]
}

run "stage_name_with_slash" {
  command = plan

  variables {
    stage_name = "v1/beta"
  }

  expect_failures = [var.stage_name]
}

run "throttling_rate_zero" {
  command = plan

  variables {
    throttling_rate_limit = 0
  }

  expect_failures = [var.throttling_rate_limit]
}

run "throttling_burst_zero" {
  command = plan

  variables {
    throttling_burst_limit = 0
  }

  expect_failures = [var.throttling_burst_limit]
}

run "logging_level_unknown" {
  command = plan

  variables {
    logging_level = "DEBUG"
  }

  expect_failures = [var.logging_level]
}

run "waf_acl_global" {
  command = plan

  variables {
    waf_web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/1"
  }

  expect_failures = [var.waf_web_acl_arn]
}

run "api_policy_not_json" {
  command = plan

  variables {
    api_resource_policy = "not json"
  }

  expect_failures = [var.api_resource_policy]
}

run "key_prefix_wildcard" {
  command = plan

  variables {
    key_prefix = "*/"
  }

  expect_failures = [var.key_prefix]
}

run "burst_over_reserved_concurrency" {
  command = plan

  variables {
    lambda_reserved_concurrency = 10
    throttling_burst_limit      = 11
  }

  expect_failures = [var.throttling_burst_limit]
}

run "created_bucket_with_dots" {
  command = plan

  variables {
    bucket_name = "imports.example.com"
  }

  expect_failures = [var.bucket_name]
}

run "role_path_without_slashes" {
  command = plan

  variables {
    role_path = "service-roles"
  }

  expect_failures = [var.role_path]
}

run "permissions_boundary_not_policy" {
  command = plan

  variables {
    role_permissions_boundary = "arn:aws:iam::123456789012:role/boundary"
  }

  expect_failures = [var.role_permissions_boundary]
}
