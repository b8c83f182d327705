from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import rules
from .models import FilterRule
from .rule_forms import UserRuleForm
from .selectors import rule_catches


@login_required
def rule_list(request):
    form = UserRuleForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            rule = form.save()
            rules.rule_saved(rule)
        messages.success(
            request, f"Rule “{rule.reason}” added. Your stored events are being checked again; the report follows."
        )
        return redirect("rule-list")
    own = list(FilterRule.objects.filter(user=request.user))
    portal = list(FilterRule.objects.filter(user__isnull=True, enabled=True))
    caught = rule_catches(request.user, [r.code for r in own + portal])
    for rule in own + portal:
        rule.caught = caught.get(rule.code, 0)
    return render(
        request,
        "incidents/rules.html",
        {"form": form, "own": own, "portal": portal},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def rule_delete(request, pk):
    rule = get_object_or_404(FilterRule, pk=pk, user=request.user)
    with transaction.atomic():
        rule.delete()
        rules.rule_deleted(rule)
    messages.success(request, f"Rule “{rule.reason}” removed. Events it hid will come back once checked again.")
    return redirect("rule-list")
