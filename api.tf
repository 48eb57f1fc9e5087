################################################################################
# REST API from the OpenAPI body (rendered once; also the openapi_document output)
################################################################################

locals {
  authorizer_invoke_arn = var.custom_authorizer == null ? null : "arn:${local.partition}:apigateway:${local.region}:lambda:path/2015-03-31/functions/${var.custom_authorizer.function_arn}/invocations"

  # One security scheme per authorization type; the method requires the selected one, and with
  # usage plans (usage_plans.tf) the API key as well: both in one requirement, so both apply
  # ("Configure a method to use API keys with an OpenAPI definition").
  api_key_scheme = local.api_key_required ? {
    api_key = { type = "apiKey", name = "x-api-key", in = "header" }
  } : {}
  security_schemes = merge(local.authorization_schemes, local.api_key_scheme)
  security = (
    !local.api_key_required ? local.authorization_security
    : [merge(try(local.authorization_security[0], {}), { api_key = [] })]
  )

  authorization_schemes = {
    AWS_IAM = {
      sigv4 = {
        type                           = "apiKey"
        name                           = "Authorization"
        in                             = "header"
        "x-amazon-apigateway-authtype" = "awsSigv4"
      }
    }
    COGNITO_USER_POOLS = {
      cognito = {
        type                           = "apiKey"
        name                           = "Authorization"
        in                             = "header"
        "x-amazon-apigateway-authtype" = "cognito_user_pools"
        "x-amazon-apigateway-authorizer" = {
          type         = "cognito_user_pools"
          providerARNs = var.cognito_user_pool_arns
        }
      }
    }
    CUSTOM = var.custom_authorizer == null ? {} : {
      lambda = {
        type                           = "apiKey"
        name                           = try(regex("^method\\.request\\.header\\.([^,]+)$", var.custom_authorizer.identity_source)[0], "Authorization")
        in                             = "header"
        "x-amazon-apigateway-authtype" = "custom"
        "x-amazon-apigateway-authorizer" = {
          type                         = lower(var.custom_authorizer.type)
          authorizerUri                = local.authorizer_invoke_arn
          identitySource               = var.custom_authorizer.identity_source
          authorizerResultTtlInSeconds = var.custom_authorizer.result_ttl_seconds
        }
      }
    }
    NONE = {}
  }[var.authorization_type]

  authorization_security = {
    AWS_IAM            = [{ sigv4 = [] }]
    COGNITO_USER_POOLS = [{ cognito = var.cognito_authorization_scopes }]
    CUSTOM             = [{ lambda = [] }]
    NONE               = []
  }[var.authorization_type]

  # Every error API Gateway answers itself gets the module's {"error": {...}} shape, except
  # REQUEST_TOO_LARGE (a body over 10 MB), which API Gateway does not let anyone customize.
  gateway_error_codes = {
    DEFAULT_4XX                    = "ClientError"
    DEFAULT_5XX                    = "InternalError"
    ACCESS_DENIED                  = "AccessDenied"
    API_CONFIGURATION_ERROR        = "InternalError"
    AUTHORIZER_CONFIGURATION_ERROR = "InternalError"
    AUTHORIZER_FAILURE             = "InternalError"
    BAD_REQUEST_BODY               = "InvalidBody"
    BAD_REQUEST_PARAMETERS         = "InvalidParameters"
    EXPIRED_TOKEN                  = "ExpiredToken"
    INTEGRATION_FAILURE            = "InternalError"
    INTEGRATION_TIMEOUT            = "Timeout"
    INVALID_API_KEY                = "InvalidApiKey"
    INVALID_SIGNATURE              = "InvalidSignature"
    MISSING_AUTHENTICATION_TOKEN   = "MissingAuthentication"
    QUOTA_EXCEEDED                 = "QuotaExceeded"
    RESOURCE_NOT_FOUND             = "NotFound"
    THROTTLED                      = "Throttled"
    UNAUTHORIZED                   = "Unauthorized"
    UNSUPPORTED_MEDIA_TYPE         = "UnsupportedMediaType"
    WAF_FILTERED                   = "Forbidden"
  }

  # Every error status an operation documents, with the same meaning on every route.
  error_statuses = {
    "400" = "Malformed or invalid request"
    "403" = "Not authorized"
    "404" = "No such import"
    "409" = "Conflicts with the import's state"
    "413" = "Declared size, part or request over the limit"
    "415" = "Content type not allowed, or a request body that is not JSON"
    "429" = "Throttled, or the API key's quota is used up (usage plans)"
    "500" = "Internal error"
    "501" = "Multipart imports unavailable: the function's runtime botocore is too old (single PUTs work)"
    "503" = "S3 unavailable or slow: nothing to fix, retry after Retry-After seconds"
  }

  openapi_document = templatefile("${path.module}/templates/openapi.json.tftpl", {
    title               = var.name
    routes              = local.api_routes
    cors_origins        = var.cors_allowed_origins
    lambda_invoke_arn   = local.signer_invoke_arn # the "live" alias with SnapStart
    max_upload_bytes    = var.max_upload_bytes
    max_imports         = var.max_imports_per_request
    security            = local.security
    security_schemes    = local.security_schemes
    api_key_required    = local.api_key_required
    gateway_error_codes = local.gateway_error_codes
    error_statuses      = local.error_statuses
    resource_policy     = local.resource_policy_json == null ? null : jsondecode(local.resource_policy_json)
    vpc_endpoint_ids    = local.private ? var.vpc_endpoint_ids : []
  })

  private       = var.endpoint_type == "PRIVATE"
  caller_policy = var.api_resource_policy == null ? null : jsondecode(var.api_resource_policy)
  # Only the listed VPC endpoints may invoke: AWS's documented pair, a deny of every request that
  # does not come through them and an allow. The API's resource policy and a private domain
  # name's policy (domain.tf) are both made of it.
  vpc_endpoint_statements = [
    {
      Sid       = "DenyOutsideTheVpcEndpoints"
      Effect    = "Deny"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "execute-api:/*"
      Condition = { StringNotEquals = { "aws:SourceVpce" = var.vpc_endpoint_ids } }
    },
    {
      Sid       = "AllowThroughTheVpcEndpoints"
      Effect    = "Allow"
      Principal = "*"
      Action    = "execute-api:Invoke"
      Resource  = "execute-api:/*"
    },
  ]
  # A private API must have a resource policy: the deny first; without a policy of the caller's,
  # the allow; with one, the caller's statements follow and decide (a private API invoked by
  # nobody they allow answers 403).
  private_api_statements = [
    for statement in local.vpc_endpoint_statements : statement
    if local.private && (statement.Effect == "Deny" || local.caller_policy == null)
  ]
  # A policy's Statement may be one statement or a list of them.
  caller_statements = try(
    concat([], local.caller_policy.Statement), [local.caller_policy.Statement], []
  )
  resource_policy_json = !local.private ? var.api_resource_policy : jsonencode({
    Version   = "2012-10-17"
    Statement = concat(local.private_api_statements, local.caller_statements)
  })
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "Signed S3 uploads for ${var.name}"
  # The resource policy is part of the body (x-amazon-apigateway-policy): a body update is a
  # PutRestApi in overwrite mode, which replaces the API's policy with the body's. Neither
  # aws_api_gateway_rest_api_policy (cleared by that call) nor the `policy` argument (API Gateway
  # stores "execute-api:/*" expanded, a diff on every plan) can hold it.
  body = local.openapi_document

  endpoint_configuration {
    types = [var.endpoint_type]
    # Also in the body (x-amazon-apigateway-endpoint-configuration), so that a body update, a
    # PutRestApi in overwrite mode, keeps the associations.
    vpc_endpoint_ids = local.private ? var.vpc_endpoint_ids : null
    # A private API can only be dualstack, and one made REGIONAL again must be dualstack while
    # it migrates (AWS: "IP address types for REST APIs"); a REGIONAL API keeps what it has
    # (IPv4 when created).
    ip_address_type = local.private ? "dualstack" : null
  }

  tags = local.tags

  lifecycle {
    create_before_destroy = true
  }
}

# The policy moved into the body of aws_api_gateway_rest_api.this: forget the old resource, never
# destroy it (that would delete the policy the API carries).
removed {
  from = aws_api_gateway_rest_api_policy.this

  lifecycle {
    destroy = false
  }
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "OpenAPI body ${sha1(local.openapi_document)}"

  triggers = {
    redeployment = sha1(jsonencode([local.openapi_document, var.api_resource_policy]))
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "access" {
  name              = "/aws/apigateway/${var.name}/${var.stage_name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn

  tags = local.tags
}

# API Gateway would create this group itself, without retention: own it instead.
resource "aws_cloudwatch_log_group" "execution" {
  count = var.logging_level == "OFF" ? 0 : 1

  name              = "API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.this.id}/${var.stage_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.logs_kms_key_arn

  tags = local.tags
}

resource "aws_api_gateway_stage" "this" {
  #checkov:skip=CKV_AWS_120:Responses are one-time credentials; caching them would hand one URL to many callers.
  #checkov:skip=CKV2_AWS_51:The backend is a Lambda proxy, not an HTTP endpoint that could check a client certificate.
  #checkov:skip=CKV2_AWS_29:WAF is the waf_web_acl_arn input; the API is already authorized and throttled.
  #checkov:skip=CKV2_AWS_77:No web ACL is created here; rules of a given waf_web_acl_arn are its owner's.

  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = var.stage_name
  description          = "Signed-import API, stage ${var.stage_name}"
  xray_tracing_enabled = var.xray_tracing_enabled

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId          = "$context.requestId"
      extendedRequestId  = "$context.extendedRequestId"
      requestTime        = "$context.requestTime"
      ip                 = "$context.identity.sourceIp"
      caller             = "$context.identity.caller"
      user               = "$context.identity.user"
      principalId        = "$context.authorizer.principalId"
      httpMethod         = "$context.httpMethod"
      resourcePath       = "$context.resourcePath"
      status             = "$context.status"
      protocol           = "$context.protocol"
      responseLength     = "$context.responseLength"
      responseLatency    = "$context.responseLatency"
      integrationStatus  = "$context.integration.status"
      integrationLatency = "$context.integration.latency"
      errorType          = "$context.error.responseType"
      errorMessage       = "$context.error.message"
      # Not $context.error.validationErrorString: its detail can quote the request's JSON, and
      # API Gateway documents no escaping of access-log values, so a line could stop being JSON.
      # errorType BAD_REQUEST_BODY says a body was refused; the signer logs its own reasons.
    })
  }

  tags = local.tags

  depends_on = [aws_api_gateway_account.this, aws_cloudwatch_log_group.execution]
}

resource "aws_api_gateway_method_settings" "this" {
  #checkov:skip=CKV_AWS_225:Responses are one-time credentials; a cache would hand one URL to many callers.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    logging_level          = var.logging_level
    data_trace_enabled     = false # bodies hold signed URLs: never log them
    caching_enabled        = false
    throttling_rate_limit  = var.throttling_rate_limit
    throttling_burst_limit = var.throttling_burst_limit
  }
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.waf_web_acl_arn == null ? 0 : 1

  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.waf_web_acl_arn
}

resource "aws_lambda_permission" "authorizer" {
  count = var.authorization_type == "CUSTOM" ? 1 : 0

  statement_id  = "AllowApiGatewayAuthorizer-${var.name}"
  action        = "lambda:InvokeFunction"
  function_name = var.custom_authorizer.function_arn
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/*"
}
