//! The admin JSON API at `/api/v1`, over the same services as chat. Every route needs a bearer
//! token (see `services::tokens`); the token acts as its role and the services check each
//! permission. The OpenAPI 3.1 document is generated from the handlers (`/api/v1/openapi.json`),
//! with interactive docs at `/api/docs` (Swagger UI, vendored: nothing is fetched).
mod extract;
mod idempotency;
mod types;

mod approvals;
mod audit;
mod broadcasts;
mod claims;
mod flags;
mod orders;
mod payments;
mod plans;
mod promos;
mod reports;
mod settings;
mod staff;
mod users;
mod withdrawals;

use axum::Router;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use super::problem::Problem;
use super::HttpState;

pub use extract::Caller;
pub use idempotency::HEADER as IDEMPOTENCY_HEADER;

pub const DOCUMENT_PATH: &str = "/api/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ottsonly admin API",
        description = "Run the shop: plans and stock, customers and their wallets, orders, payments, \
            UPI claims, withdrawals, fraud flags, settings, staff and the audit log. Money is integer \
            paise with a `display` string; times are RFC 3339; errors are application/problem+json. \
            POSTs that move money accept an `Idempotency-Key` header.",
        version = "1"
    ),
    components(schemas(Problem)),
    tags(
        (name = "plans"), (name = "users"), (name = "orders"), (name = "payments"), (name = "upi-claims"),
        (name = "withdrawals"), (name = "fraud-flags"), (name = "settings"), (name = "staff"), (name = "audit"), (name = "approvals"), (name = "reports"), (name = "promo-codes")
    )
)]
struct ApiDoc;

/// `/api/v1/…` and `/api/docs`.
pub fn router() -> Router<HttpState> {
    let (router, document) = OpenApiRouter::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1()).split_for_parts();
    router.merge(SwaggerUi::new("/api/docs").url(DOCUMENT_PATH, finish(document)))
}

/// The document as served (for tests and tools).
pub fn document() -> Document {
    let (_, document) =
        OpenApiRouter::<HttpState>::with_openapi(ApiDoc::openapi()).nest("/api/v1", v1()).split_for_parts();
    finish(document)
}

fn v1() -> OpenApiRouter<HttpState> {
    OpenApiRouter::new()
        .merge(plans::routes())
        .merge(promos::routes())
        .merge(broadcasts::routes())
        .merge(users::routes())
        .merge(orders::routes())
        .merge(payments::routes())
        .merge(claims::routes())
        .merge(withdrawals::routes())
        .merge(flags::routes())
        .merge(settings::routes())
        .merge(staff::routes())
        .merge(audit::routes())
        .merge(approvals::routes())
        .merge(reports::routes())
}

/// Every operation needs the bearer token and may answer with a problem.
fn finish(mut document: Document) -> Document {
    let components = document.components.get_or_insert_with(Default::default);
    components.security_schemes.insert("bearer".into(), SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)).into());
    document.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    for item in document.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            add_problems(operation);
        }
    }
    document
}

fn add_problems(operation: &mut Operation) {
    let problems = [
        ("400", "The request is malformed"),
        ("401", "No valid API token"),
        ("403", "The token's role may not do this"),
        ("404", "No such record"),
        ("409", "The record is not in a state that allows this"),
        ("415", "The body is not JSON"),
        ("422", "A value is not accepted; `field` names it"),
        ("500", "Something failed on our side"),
    ];
    for (status, description) in problems {
        operation.responses.responses.entry(status.into()).or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    super::problem::CONTENT_TYPE,
                    ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build(),
                )
                .build()
                .into()
        });
    }
}

/// An enum stored as text (`pending`, `paid`, …), as the API shows it.
pub(crate) fn text<E: sea_orm::ActiveEnum<Value = String>>(value: &E) -> String {
    value.to_value()
}

/// A filter value for an enum stored as text; unknown values name the field.
pub(crate) fn parse<E: sea_orm::ActiveEnum<Value = String>>(field: &str, value: &str) -> Result<E, Problem> {
    E::try_from_value(&value.to_owned()).map_err(|_| {
        let allowed: Vec<String> = <E as sea_orm::ActiveEnum>::values();
        Problem::invalid(field, format!("one of: {}", allowed.join(", ")))
    })
}
