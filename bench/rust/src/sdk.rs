//! The anchor: a credentials provider behind the SDK's own identity cache, read exactly the way
//! an SDK client's orchestrator reads it (`auth.rs` in aws-smithy-runtime):
//! `identity_cache.resolve_cached_identity(identity_resolver, runtime_components, config_bag)`.
//!
//! The runtime components are not hand-made: they are captured from a real `aws_sdk_sts` client
//! built from the benchmark's `SdkConfig` with the provider as its credentials provider and
//! `IdentityCache::lazy().build()` as its identity cache (the default), by an interceptor that
//! stops the request before it is serialized. So the cache that is read is the client's own
//! lazy cache, with the client's time source and sleep. The config bag holds the client's retry
//! and timeout config, the only values the cache reads from it (to size its load timeout).

use std::sync::{Arc, Mutex};

use aws_config::identity::IdentityCache;
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_sts::config::{Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::identity::{
    Identity, ResolveCachedIdentity, SharedIdentityCache, SharedIdentityResolver,
};
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextMut;
use aws_smithy_types::config_bag::{ConfigBag, Layer};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;

/// A provider behind the lazy identity cache, as an SDK client holds it.
pub struct SdkCache {
    cache: SharedIdentityCache,
    resolver: SharedIdentityResolver,
    components: RuntimeComponents,
    cfg: ConfigBag,
}

impl std::fmt::Debug for SdkCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SdkCache")
    }
}

type Captured = (
    RuntimeComponents,
    Option<RetryConfig>,
    Option<TimeoutConfig>,
);

#[derive(Debug, Clone, Default)]
struct Capture(Arc<Mutex<Option<Captured>>>);

impl Intercept for Capture {
    fn name(&self) -> &'static str {
        "cross-account-bench capture"
    }

    fn modify_before_serialization(
        &self,
        _context: &mut BeforeSerializationInterceptorContextMut<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        *self.0.lock().unwrap() = Some((
            runtime_components.clone(),
            cfg.load::<RetryConfig>().cloned(),
            cfg.load::<TimeoutConfig>().cloned(),
        ));
        Err("captured the runtime components; the request is not sent".into())
    }
}

impl SdkCache {
    /// `provider` behind a fresh `IdentityCache::lazy().build()` in an STS client of `config`:
    /// the default of every SDK client.
    pub async fn new(config: &SdkConfig, provider: impl ProvideCredentials + 'static) -> SdkCache {
        Self::with_cache(config, provider, IdentityCache::lazy().build()).await
    }

    /// `provider` behind the given identity cache in an STS client of `config`.
    pub async fn with_cache(
        config: &SdkConfig,
        provider: impl ProvideCredentials + 'static,
        cache: SharedIdentityCache,
    ) -> SdkCache {
        let provider = SharedCredentialsProvider::new(provider);
        let capture = Capture::default();
        let client_config = aws_sdk_sts::config::Builder::from(config)
            .credentials_provider(provider.clone())
            .identity_cache(cache)
            .interceptor(capture.clone())
            .build();
        let client = aws_sdk_sts::Client::from_conf(client_config);
        let stopped = client.get_caller_identity().send().await;
        assert!(
            stopped.is_err(),
            "the capture interceptor stops the request"
        );
        let (components, retry, timeout) = capture.0.lock().unwrap().take().expect("captured");
        let mut layer = Layer::new("client config (retry and timeout)");
        if let Some(retry) = retry {
            layer.store_put(retry);
        }
        if let Some(timeout) = timeout {
            layer.store_put(timeout);
        }
        SdkCache {
            cache: components.identity_cache(),
            resolver: SharedIdentityResolver::new(provider),
            components,
            cfg: ConfigBag::of_layers(vec![layer]),
        }
    }

    /// One read, as the orchestrator does it before signing each request.
    pub async fn read(&self) -> Result<Identity, BoxError> {
        self.cache
            .resolve_cached_identity(self.resolver.clone(), &self.components, &self.cfg)
            .await
    }
}
