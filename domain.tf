################################################################################
# Custom domain (optional): the API at https://<domain_name>/<base_path>, a regional domain name
# for a REGIONAL API, a private one for a PRIVATE API
################################################################################

locals {
  custom_domain   = var.domain_name != null
  regional_domain = local.custom_domain && !local.private
  private_domain  = local.custom_domain && local.private
  # The ARN of whichever of the two exists (never both).
  domain_arn = (
    local.private_domain ? aws_api_gateway_domain_name.private[0].arn
    : local.regional_domain ? aws_api_gateway_domain_name.this[0].arn : null
  )
}

resource "aws_api_gateway_domain_name" "this" {
  count = local.regional_domain ? 1 : 0

  domain_name              = var.domain_name
  regional_certificate_arn = var.certificate_arn
  security_policy          = "TLS_1_2"

  endpoint_configuration {
    types = ["REGIONAL"]
  }

  tags = local.tags

  lifecycle {
    precondition {
      condition     = split(":", var.certificate_arn)[3] == local.region
      error_message = "certificate_arn must be a certificate in the API's region (${local.region}): a regional custom domain takes a regional certificate, not one from us-east-1 for CloudFront."
    }
  }
}

# A private custom domain name (AWS: "Custom domain names for private APIs in API Gateway"): it
# takes certificate_arn, has TLS 1.2 as its only security policy and dualstack as its only IP
# address type, and carries an execute-api policy of its own, which API Gateway creates as deny
# all: here, AWS's documented pair, allow, and deny what does not come through the listed VPC
# endpoints. A caller needs both this policy's and the API's resource policy's consent.
resource "aws_api_gateway_domain_name" "private" {
  count = local.private_domain ? 1 : 0

  domain_name     = var.domain_name
  certificate_arn = var.certificate_arn
  security_policy = "TLS_1_2"

  endpoint_configuration {
    types           = ["PRIVATE"]
    ip_address_type = "dualstack"
  }

  # The API's pair (api.tf), allow first as AWS's example writes it, on Resource "*" (the
  # policy is the domain's own, so it covers only the domain), as the provider's acceptance test
  # writes it: API Gateway stores an API policy's "execute-api:/*" expanded, a diff on every plan
  # if it did so here too.
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [for i in [1, 0] : merge(local.vpc_endpoint_statements[i], { Resource = "*" })]
  })

  tags = local.tags

  lifecycle {
    precondition {
      condition     = split(":", var.certificate_arn)[3] == local.region
      error_message = "certificate_arn must be a certificate in the API's region (${local.region})."
    }
  }
}

# A VPC endpoint reaches a private custom domain only through an access association of its own.
# By position in the list: endpoints created in the same apply have no id at plan time.
resource "aws_api_gateway_domain_name_access_association" "this" {
  count = local.private_domain ? length(var.vpc_endpoint_ids) : 0

  access_association_source      = var.vpc_endpoint_ids[count.index]
  access_association_source_type = "VPCE"
  domain_name_arn                = aws_api_gateway_domain_name.private[0].arn

  tags = local.tags
}

resource "aws_api_gateway_base_path_mapping" "this" {
  count = local.custom_domain ? 1 : 0

  api_id      = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  domain_name = local.private_domain ? aws_api_gateway_domain_name.private[0].domain_name : aws_api_gateway_domain_name.this[0].domain_name
  # A private domain name is known by its id too: a public one of the same name may exist.
  domain_name_id = local.private_domain ? aws_api_gateway_domain_name.private[0].domain_name_id : null
  base_path      = var.base_path == "" ? null : var.base_path
}

# Where the name resolves (an alias: no charge per query): API Gateway's regional domain name for
# a regional domain; for a private one, the first listed VPC endpoint's DNS name, in a private
# hosted zone of the endpoint's VPC.
data "aws_vpc_endpoint" "domain_alias_target" {
  count = local.private_domain && var.route53_zone_id != null ? 1 : 0

  id = var.vpc_endpoint_ids[0]
}

resource "aws_route53_record" "this" {
  count = local.custom_domain && var.route53_zone_id != null ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = local.private_domain ? data.aws_vpc_endpoint.domain_alias_target[0].dns_entry[0].dns_name : aws_api_gateway_domain_name.this[0].regional_domain_name
    zone_id                = local.private_domain ? data.aws_vpc_endpoint.domain_alias_target[0].dns_entry[0].hosted_zone_id : aws_api_gateway_domain_name.this[0].regional_zone_id
    evaluate_target_health = false
  }
}
