//! The named calls of a client, written once for both drivers: `__client_calls!()` in a
//! blocking `impl WebApi`, `__client_calls!(async; .await)` in an async one. Each call is one
//! line over the driver's own `run` (drive a machine) and `prepared` (validate a request and
//! read its images, where the driver wants: the async one does it off the runtime's workers).

/// Generates the named calls of a driver's `WebApi` (see the module docs of `client_calls`).
#[doc(hidden)]
#[macro_export]
macro_rules! __client_calls {
    ($($kw:ident)?; $($aw:tt)*) => {
        /// Submits an image job (SmartSelfie™ Authentication is job type 2), mirroring the
        /// official `submit_job(partner_params, image_details, id_info, options)`.
        ///
        /// Everything is validated and every image read before the first request. With
        /// `options.return_job_status` the call polls until the job completes (see
        /// [`PollPolicy`]) and returns [`JobOutcome::Completed`] — **whose result may not be
        /// final**: check [`JobOutcome::is_final`]; the final result arrives by callback.
        /// Without it, the call returns [`JobOutcome::Submitted`] once the upload is done. A
        /// job needs a callback URL (its own or the client's default) or `return_job_status`.
        /// The same as [`create_job`](Self::create_job), [`upload_job`](Self::upload_job) and
        /// the wait, at once.
        ///
        /// # Errors
        /// See [`Error`]. When [`Error::job_may_exist`] is true, finish the same job with
        /// [`resume_job`](Self::resume_job), never with a new `job_id`.
        pub $($kw)? fn submit_job(
            &self,
            partner_params: PartnerParams,
            images: Vec<Image>,
            id_info: Option<IdInfo>,
            options: JobOptions,
        ) -> Result<JobOutcome> {
            self.submit(SubmitRequest::from_official(partner_params, images, id_info, options)) $($aw)*
        }

        /// [`submit_job`](Self::submit_job) for a prepared [`SubmitRequest`].
        ///
        /// # Errors
        /// See [`Error`].
        pub $($kw)? fn submit(&self, request: SubmitRequest) -> Result<JobOutcome> {
            self.run(self.prepared(request, SubmitJob::new) $($aw)* ?) $($aw)*
        }

        /// Phase one of the two-phase form: validates `request`, reads its images and sends
        /// `POST /upload`, returning the [`CreatedJob`] (`smile_job_id`, upload URL) **before
        /// any image is uploaded**. Store it (it is serde-serializable), then call
        /// [`upload_job`](Self::upload_job); a process that dies in between resumes from what
        /// it stored.
        ///
        /// # Errors
        /// See [`Error`]; nothing was created when [`Error::job_may_exist`] is false.
        pub $($kw)? fn create_job(&self, request: SubmitRequest) -> Result<CreatedJob> {
            self.run(self.prepared(request, CreateJob::new) $($aw)* ?) $($aw)*
        }

        /// Phase two: uploads the zip of `request` (the same images and partner params) to a
        /// [`CreatedJob`] (re-prepping with `retry: true` once if its URL has expired), then
        /// returns per `request`'s options: [`JobOutcome::Submitted`], or the polled result
        /// with `return_job_status`.
        ///
        /// # Errors
        /// See [`Error`]; every error carries the job's `smile_job_id`.
        pub $($kw)? fn upload_job(&self, created: &CreatedJob, request: SubmitRequest) -> Result<JobOutcome> {
            let created = created.clone();
            self.run(self.prepared(request, move |c, r| UploadJob::new(c, &created, r)) $($aw)* ?) $($aw)*
        }

        /// Waits for the result of an uploaded job (phase three), polling `POST /job_status`
        /// on the client's [`PollPolicy`]; the result is interpreted with the job type's code
        /// table.
        ///
        /// # Errors
        /// See [`Error`]; [`Error::PollTimeout`] carries the last status.
        pub $($kw)? fn wait_for_result(&self, created: &CreatedJob, options: JobStatusOptions) -> Result<JobOutcome> {
            self.run(WaitForResult::for_created(self.config(), created, options)?) $($aw)*
        }

        /// Finishes a job that may exist, from any error whose [`Error::job_may_exist`] is true:
        /// the same `request` (same `job_id`), sent with `retry: true`, so the server hands out
        /// a new upload URL for the **same** job (or creates it, if the first attempt never got
        /// that far), then the upload and the wait as for [`submit`](Self::submit).
        ///
        /// # Errors
        /// See [`Error`].
        pub $($kw)? fn resume_job(&self, request: SubmitRequest) -> Result<JobOutcome> {
            self.run(self.prepared(request, SubmitJob::resume) $($aw)* ?) $($aw)*
        }

        /// Asks for the status of a job of any type (`POST /job_status`), verifying the
        /// response's signature; transient failures are retried per the [`RetryPolicy`]. An
        /// incomplete status is a normal answer here; read the result with
        /// [`JobStatusResponse::interpret`].
        ///
        /// # Errors
        /// See [`Error`]; [`Error::ResponseSignatureInvalid`] when the response is not signed
        /// with this partner's key.
        pub $($kw)? fn get_job_status(
            &self,
            user_id: impl Into<UserId>,
            job_id: impl Into<JobId>,
            options: JobStatusOptions,
        ) -> Result<JobStatusResponse> {
            self.call(JobStatus::new(user_id, job_id, options)) $($aw)*
        }

        /// Enhanced KYC (job type 5) with the result in the response (`POST
        /// /id_verification`): the ID data as a typed result entry, its signature verified
        /// when it has one. Never retried (it creates a job).
        ///
        /// # Errors
        /// See [`Error`]; input problems before any request.
        pub $($kw)? fn id_verification(&self, partner_params: PartnerParams, id_info: IdInfo) -> Result<IdVerificationResult> {
            self.call(IdVerification::new(partner_params, id_info)) $($aw)*
        }

        /// Enhanced KYC (job type 5) with the result sent to the callback (`POST
        /// /async_id_verification`); `callback_url` `None` uses the client's default. Read
        /// the callback with [`CallbackVerifier`].
        ///
        /// # Errors
        /// See [`Error`]; input problems (a missing callback URL included) before any request.
        pub $($kw)? fn async_id_verification(
            &self,
            partner_params: PartnerParams,
            id_info: IdInfo,
            callback_url: Option<&str>,
        ) -> Result<AsyncAcknowledgement> {
            self.call(AsyncIdVerification::new(partner_params, id_info, callback_url)) $($aw)*
        }

        /// Business verification (job type 7) with the result in the response (`POST
        /// /business_verification`); `business_type` (`bn`, `co`, `it`) where the country
        /// needs it.
        ///
        /// # Errors
        /// See [`Error`].
        pub $($kw)? fn business_verification(
            &self,
            partner_params: PartnerParams,
            id_info: IdInfo,
            business_type: Option<&str>,
        ) -> Result<IdVerificationResult> {
            let call = BusinessVerification::new(partner_params, id_info);
            self.call(match business_type { Some(t) => call.with_business_type(t), None => call }) $($aw)*
        }

        /// Business verification (job type 7) with the result sent to the callback (`POST
        /// /async_business_verification`); `callback_url` `None` uses the client's default.
        ///
        /// # Errors
        /// See [`Error`].
        pub $($kw)? fn async_business_verification(
            &self,
            partner_params: PartnerParams,
            id_info: IdInfo,
            business_type: Option<&str>,
            callback_url: Option<&str>,
        ) -> Result<AsyncAcknowledgement> {
            let call = AsyncBusinessVerification::new(partner_params, id_info, callback_url);
            self.call(match business_type { Some(t) => call.with_business_type(t), None => call }) $($aw)*
        }

        /// A web token for the hosted web / Web SDK flow (`POST /token`); `callback_url`
        /// `None` uses the client's default (one is required).
        ///
        /// # Errors
        /// See [`Error`].
        pub $($kw)? fn get_web_token(
            &self,
            user_id: impl Into<UserId>,
            job_id: impl Into<JobId>,
            product: impl Into<WebProduct>,
            callback_url: Option<&str>,
        ) -> Result<WebToken> {
            self.call(WebTokenRequest::new(user_id, job_id, product, callback_url)) $($aw)*
        }

        /// The supported services (`GET /services`), lightly typed.
        ///
        /// # Errors
        /// See [`Error`].
        pub $($kw)? fn services(&self) -> Result<ServicesList> {
            self.call(Services::new()) $($aw)*
        }

        /// The valid ID documents per country (`POST /valid_documents`), lightly typed.
        ///
        /// # Errors
        /// See [`Error`].
        pub $($kw)? fn valid_documents(&self) -> Result<ValidDocumentsList> {
            self.call(ValidDocuments::new()) $($aw)*
        }

        /// Runs any single-request [`Endpoint`] (the named calls are this with their
        /// endpoint): validated first, signed, sent, retried only when the endpoint is
        /// idempotent, parsed and verified.
        ///
        /// # Errors
        /// See [`Error`].
        pub $($kw)? fn call<E: Endpoint + Send>(&self, endpoint: E) -> Result<E::Output>
        where
            E::Output: Send,
        {
            self.run(Call::new(self.config(), endpoint)?) $($aw)*
        }
    };
}
