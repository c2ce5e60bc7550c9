//! Which access key signed each request a client sent: the proof that a client picked up new
//! credentials.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use crate::wire::signing_key;

/// An interceptor that records the access key ID of every signed request, in order (an empty
/// string for an unsigned one). Clones share the record.
#[derive(Debug, Clone, Default)]
pub struct SigningKeys(Arc<Mutex<Vec<String>>>);

impl SigningKeys {
    /// Every key so far, in the order the requests went out.
    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    /// The key of the latest request.
    pub fn last(&self) -> String {
        self.all().pop().expect("a request was sent")
    }
}

impl Intercept for SigningKeys {
    fn name(&self) -> &'static str {
        "SigningKeys"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let key = context
            .request()
            .headers()
            .get("authorization")
            .and_then(signing_key)
            .unwrap_or_default();
        self.0.lock().unwrap().push(key.to_string());
        Ok(())
    }
}
