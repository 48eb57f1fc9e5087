################################################################################
# Usage plans (optional): a quota and throttle per consumer, metered by API key. The key comes
# on top of authorization_type, as API Gateway intends ("Don't use API keys for authentication
# or authorization"): api.tf adds it to every route's security requirement when plans are set.
################################################################################

locals {
  api_key_required = length(var.usage_plans) > 0
}

resource "aws_api_gateway_usage_plan" "this" {
  for_each = var.usage_plans

  name        = "${var.name}-${each.key}"
  description = each.value.description

  api_stages {
    api_id = aws_api_gateway_rest_api.this.id
    stage  = aws_api_gateway_stage.this.stage_name
  }

  dynamic "quota_settings" {
    for_each = each.value.quota == null ? [] : [each.value.quota]

    content {
      limit  = quota_settings.value.limit
      period = quota_settings.value.period
      offset = quota_settings.value.offset
    }
  }

  dynamic "throttle_settings" {
    for_each = each.value.throttle == null ? [] : [each.value.throttle]

    content {
      rate_limit  = throttle_settings.value.rate_limit
      burst_limit = throttle_settings.value.burst_limit
    }
  }

  tags = local.tags
}

# API Gateway generates each value; the api_keys output hands them out.
resource "aws_api_gateway_api_key" "this" {
  for_each = var.api_consumers

  name        = "${var.name}-${each.key}"
  description = each.value.description
  enabled     = each.value.enabled

  tags = local.tags
}

resource "aws_api_gateway_usage_plan_key" "this" {
  for_each = var.api_consumers

  key_id        = aws_api_gateway_api_key.this[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.this[each.value.usage_plan].id
}
