"""Asking for a review of a block-list network, and following it."""

import ipaddress

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from incidents.trust.client import client_address
from portal import ratelimit

from . import listings
from .models import ListingReview

REVIEW_RATE = "5/h,20/d"  # per client address: a form anyone can post must not become a mail cannon


class ReviewRequestForm(forms.Form):
    email = forms.EmailField(
        help_text="The outcome is sent here. Write from your network's abuse domain to be heard first."
    )
    name = forms.CharField(max_length=120, required=False)
    message = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=4000, help_text="Why the listing is wrong, in a few lines."
    )


def _network(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise Http404("Not an address.") from None
    if ip.version != 4:
        raise Http404("The block list holds IPv4 networks only.")
    return listings.network_of(address)


def review_request(request, address: str):
    network = _network(address)
    explanation = listings.explain(network)
    form = ReviewRequestForm(request.POST or None)
    if request.method == "POST":
        wait = ratelimit.hit("listing-review", client_address(request) or "unknown", REVIEW_RATE)
        if wait:
            return ratelimit.too_many(request, wait)
        if form.is_valid():
            data = form.cleaned_data
            try:
                review = listings.review_request(
                    network=network, email=data["email"], name=data["name"], message=data["message"]
                )
            except listings.NotListed as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("listing-review-status", token=review.token)
    status = 400 if form.errors else 200
    context = {"network": network, "explanation": explanation, "form": form}
    return render(request, "reports/listing_review_request.html", context, status=status)


def review_status(request, token: str):
    review = get_object_or_404(ListingReview, token=token, kind=ListingReview.Kind.APPEAL)
    return render(request, "reports/listing_review_status.html", {"review": review})
