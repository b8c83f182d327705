from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from incidents.trust.client import client_address
from portal.ratelimit import per_user

from .forms import SubmissionForm
from .models import Submission
from .selectors import submission_progress as progress_of
from .services import SubmissionTooLarge, submission_create


@login_required
@per_user("submission", "RATE_SUBMISSION")
def submission_new(request):
    # Refuse an oversized body before reading it, with the same message the form gives.
    if request.method == "POST" and int(request.META.get("CONTENT_LENGTH") or 0) > settings.UPLOAD_MAX_BYTES + 65536:
        form = SubmissionForm(user=request.user)
        limit = settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        # The form is unbound (the body is never read) and add_error needs cleaned data: set the error itself.
        form.errors[NON_FIELD_ERRORS] = form.error_class(
            [f"The upload is larger than the limit of {limit} MB. Compress it or split it into parts."]
        )
        return render(request, "incidents/submission_new.html", {"form": form}, status=413)
    form = SubmissionForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data.get("file")
        try:
            submission = submission_create(
                user=request.user,
                channel=Submission.Channel.WEB,
                fileobj=upload.file if upload else None,
                text=None if upload else data["text"],
                name=upload.name if upload else "",
                declared_format=data["format"],
                timezone=data["timezone"],
                client_ip=client_address(request),
            )
        except SubmissionTooLarge as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, "Your log is stored and queued for processing.")
            return redirect(submission)
    status = 400 if form.errors else 200
    return render(request, "incidents/submission_new.html", {"form": form}, status=status)


def _own_submission(request, pk):
    return get_object_or_404(Submission, pk=pk, user=request.user)


@login_required
def submission_detail(request, pk):
    submission = _own_submission(request, pk)
    return render(
        request,
        "incidents/submission_detail.html",
        {"submission": submission, "raw_retention_days": settings.SUBMISSION_RAW_RETENTION_DAYS},
    )


@login_required
def submission_progress(request, pk):
    submission = _own_submission(request, pk)
    return JsonResponse(
        {
            "status": submission.status,
            "status_display": submission.get_status_display(),
            **progress_of(submission),
        }
    )


@login_required
def submission_list(request):
    page = Paginator(Submission.objects.filter(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "incidents/submission_list.html", {"page": page})
