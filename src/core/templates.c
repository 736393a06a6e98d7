/*
 * Template programmes. Each one is a complete, valid document (a unit test parses all of them)
 * with choices a shop of that kind would make: the café rewards frequency with a stamp card, the
 * bookshop rewards spend with tiers, the e-shop adds VIP and cashback.
 */
#include "core/templates.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/program.h"
#include "util/money.h"
#include "util/xalloc.h"

const char *const TEMPLATE_NAMES[] = {"cafe", "bakery", "bookshop", "ecommerce", NULL};

static const char CAFE[] =
    "{\n"
    "  \"description\": \"Neighbourhood cafe: a coffee card, points on everything, double points "
    "in the quiet afternoon\",\n"
    "  \"earning\": {\n"
    "    \"points\": 10, \"per_minor\": 100, \"rounding\": \"floor\",\n"
    "    \"first_order_bonus\": 20,\n"
    "    \"multipliers\": [\n"
    "      {\"id\": \"quiet-afternoon\", \"name\": \"Double points on weekdays 14:00-16:00\", "
    "\"factor_pct\": "
    "200,\n"
    "       \"weekdays\": [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"], \"hours\": {\"from\": "
    "\"14:00\", \"to\": \"16:00\"}},\n"
    "      {\"id\": \"beans\", \"name\": \"Coffee beans x1.5\", \"factor_pct\": 150, "
    "\"categories\": [\"beans\"]}\n"
    "    ]\n"
    "  },\n"
    "  \"enrolment\": {\"bonus_points\": 20, \"quick_bonus_points\": 50, \"quick_hours\": 24},\n"
    "  \"stamp_cards\": [\n"
    "    {\"id\": \"coffee\", \"name\": \"Coffee card\", \"stamps_required\": 10, \"reward\": "
    "\"free-coffee\",\n"
    "     \"per\": \"unit\", \"categories\": [\"coffee\"]}\n"
    "  ],\n"
    "  \"tiers\": {\"metric\": \"orders\", \"window\": \"rolling_12_months\", \"grace_days\": 30,\n"
    "    \"levels\": [\n"
    "      {\"id\": \"regular\", \"name\": \"Regular\", \"threshold\": 20, \"multiplier_pct\": "
    "110},\n"
    "      {\"id\": \"family\", \"name\": \"Family\", \"threshold\": 100, \"multiplier_pct\": 125, "
    "\"benefits\": [\"Oat milk on the house\"]}\n"
    "    ]},\n"
    "  \"rewards\": [\n"
    "    {\"id\": \"free-coffee\", \"name\": \"Free coffee\", \"kind\": \"free_product\", \"sku\": "
    "\"ESPRESSO\", \"value_minor\": 250, \"cost_points\": 250, \"valid_days\": 60},\n"
    "    {\"id\": \"pastry\", \"name\": \"Free pastry\", \"kind\": \"free_product\", \"sku\": "
    "\"CROISSANT\", \"value_minor\": 180, \"cost_points\": 200, \"valid_days\": 30},\n"
    "    {\"id\": \"five-off\", \"name\": \"5 EUR off\", \"kind\": \"fixed_discount\", "
    "\"value_minor\": 500, \"cost_points\": 500, \"valid_days\": 90},\n"
    "    {\"id\": \"latte-art\", \"name\": \"Latte art workshop\", \"kind\": \"experience\", "
    "\"cost_points\": 2000, \"tiers\": [\"family\"], \"stock\": 12}\n"
    "  ],\n"
    "  \"expiry\": {\"mode\": \"inactivity\", \"months\": 12},\n"
    "  \"refunds\": {\"allow_negative_balance\": false},\n"
    "  \"segments\": {\n"
    "    \"lifecycle\": {\"new_days\": 30, \"at_risk_days\": 45, \"dormant_days\": 120, "
    "\"churned_days\": 365, \"loyal_orders\": 24, \"occasional_orders\": 4},\n"
    "    \"custom\": [\n"
    "      {\"id\": \"morning-regulars\", \"name\": \"Morning regulars\", \"all\": [\n"
    "        {\"orders\": {\"within_days\": 30, \"hours\": {\"from\": \"07:00\", \"to\": "
    "\"09:00\"}}, \"at_least\": 8}]},\n"
    "      {\"id\": \"weekend-treat-buyers\", \"name\": \"Weekend treat buyers\", \"all\": [\n"
    "        {\"share\": {\"within_days\": 90, \"weekdays\": [\"sat\", \"sun\"]}, "
    "\"at_least_pct\": 50}]},\n"
    "      {\"id\": \"new-visitors\", \"name\": \"New visitors\", \"all\": [\n"
    "        {\"orders\": {\"within_days\": 30}, \"exactly\": 1}]}\n"
    "    ]\n"
    "  }\n"
    "}\n";

static const char BAKERY[] =
    "{\n"
    "  \"description\": \"Bakery: a bread card and triple points in the last hour before "
    "closing\",\n"
    "  \"earning\": {\n"
    "    \"points\": 1, \"per_minor\": 100, \"rounding\": \"nearest\",\n"
    "    \"multipliers\": [\n"
    "      {\"id\": \"last-hour\", \"name\": \"Triple points the last hour\", \"factor_pct\": "
    "300, \"hours\": {\"from\": \"18:30\", \"to\": \"19:30\"}},\n"
    "      {\"id\": \"sunday-cakes\", \"name\": \"Double points on Sunday cakes\", "
    "\"factor_pct\": 200, \"weekdays\": [\"sun\"], \"categories\": [\"cake\"]}\n"
    "    ]\n"
    "  },\n"
    "  \"enrolment\": {\"bonus_points\": 5},\n"
    "  \"stamp_cards\": [\n"
    "    {\"id\": \"bread\", \"name\": \"Bread card\", \"stamps_required\": 8, \"reward\": "
    "\"free-loaf\", \"per\": \"order\", \"categories\": [\"bread\"]}\n"
    "  ],\n"
    "  \"rewards\": [\n"
    "    {\"id\": \"free-loaf\", \"name\": \"Free loaf\", \"kind\": \"free_product\", \"sku\": "
    "\"BAGUETTE\", \"value_minor\": 120, \"cost_points\": 60, \"valid_days\": 30},\n"
    "    {\"id\": \"tart\", \"name\": \"Free fruit tart\", \"kind\": \"free_product\", \"sku\": "
    "\"TART\", \"value_minor\": 450, \"cost_points\": 150, \"valid_days\": 30}\n"
    "  ],\n"
    "  \"expiry\": {\"mode\": \"per_lot\", \"months\": 12}\n"
    "}\n";

static const char BOOKSHOP[] =
    "{\n"
    "  \"description\": \"Bookshop: points on spend, tiers by yearly spend, a birthday-worthy "
    "catalogue\",\n"
    "  \"earning\": {\n"
    "    \"points\": 1, \"per_minor\": 100, \"rounding\": \"floor\",\n"
    "    \"basis\": {\"after_discounts\": true, \"include_shipping\": false, \"include_tax\": "
    "true},\n"
    "    \"multipliers\": [\n"
    "      {\"id\": \"local-authors\", \"name\": \"Local authors x2\", \"factor_pct\": 200, "
    "\"categories\": [\"local\"]}\n"
    "    ]\n"
    "  },\n"
    "  \"enrolment\": {\"bonus_points\": 50, \"credit_past_orders\": true},\n"
    "  \"tiers\": {\"metric\": \"spend\", \"window\": \"calendar_year\", \"grace_days\": 31,\n"
    "    \"levels\": [\n"
    "      {\"id\": \"reader\", \"name\": \"Reader\", \"threshold\": 0},\n"
    "      {\"id\": \"bookworm\", \"name\": \"Bookworm\", \"threshold\": 30000, "
    "\"multiplier_pct\": 120},\n"
    "      {\"id\": \"bibliophile\", \"name\": \"Bibliophile\", \"threshold\": 80000, "
    "\"multiplier_pct\": 150, \"benefits\": [\"Invitations to signings\"]}\n"
    "    ]},\n"
    "  \"rewards\": [\n"
    "    {\"id\": \"voucher-5\", \"name\": \"5 EUR voucher\", \"kind\": \"fixed_discount\", "
    "\"value_minor\": 500, \"cost_points\": 100, \"valid_days\": 120},\n"
    "    {\"id\": \"tote\", \"name\": \"Canvas tote bag\", \"kind\": \"free_product\", \"sku\": "
    "\"TOTE\", \"value_minor\": 900, \"cost_points\": 250, \"stock\": 200},\n"
    "    {\"id\": \"signing\", \"name\": \"Reserved seat at a signing\", \"kind\": "
    "\"experience\", \"cost_points\": 300, \"tiers\": [\"bibliophile\"]}\n"
    "  ],\n"
    "  \"expiry\": {\"mode\": \"per_lot\", \"months\": 24},\n"
    "  \"pending_days\": 14,\n"
    "  \"refunds\": {\"allow_negative_balance\": true}\n"
    "}\n";

static const char ECOMMERCE[] =
    "{\n"
    "  \"description\": \"Online shop: points after the return period, tiers, a paid club and "
    "cashback\",\n"
    "  \"earning\": {\n"
    "    \"points\": 5, \"per_minor\": 100, \"rounding\": \"floor\",\n"
    "    \"basis\": {\"after_discounts\": true, \"include_shipping\": false, \"include_tax\": "
    "false},\n"
    "    \"min_order_minor\": 1000,\n"
    "    \"first_order_bonus\": 100,\n"
    "    \"multipliers\": [\n"
    "      {\"id\": \"app-orders\", \"name\": \"Online orders x1.2\", \"factor_pct\": 120, "
    "\"channels\": [\"online\"]}\n"
    "    ]\n"
    "  },\n"
    "  \"enrolment\": {\"bonus_points\": 100, \"quick_bonus_points\": 250, \"quick_hours\": 24},\n"
    "  \"tiers\": {\"metric\": \"spend\", \"window\": \"rolling_12_months\", \"grace_days\": 30,\n"
    "    \"levels\": [\n"
    "      {\"id\": \"silver\", \"name\": \"Silver\", \"threshold\": 25000, \"multiplier_pct\": "
    "110},\n"
    "      {\"id\": \"gold\", \"name\": \"Gold\", \"threshold\": 75000, \"multiplier_pct\": 125},\n"
    "      {\"id\": \"platinum\", \"name\": \"Platinum\", \"threshold\": 200000, "
    "\"multiplier_pct\": 150, \"benefits\": [\"Priority support\", \"Early access\"]}\n"
    "    ]},\n"
    "  \"vip_plans\": [\n"
    "    {\"id\": \"club\", \"name\": \"Club\", \"price_minor\": 4900, \"period\": \"year\", "
    "\"multiplier_pct\": 150, \"welcome_reward\": \"free-shipping\", \"free_delivery\": true}\n"
    "  ],\n"
    "  \"rewards\": [\n"
    "    {\"id\": \"ten-off\", \"name\": \"10 EUR off\", \"kind\": \"fixed_discount\", "
    "\"value_minor\": 1000, \"cost_points\": 1000, \"valid_days\": 90},\n"
    "    {\"id\": \"fifteen-pct\", \"name\": \"15% off\", \"kind\": \"percent_discount\", "
    "\"percent\": 15, \"cost_points\": 2500, \"tiers\": [\"gold\", \"platinum\"]},\n"
    "    {\"id\": \"free-shipping\", \"name\": \"Free delivery\", \"kind\": \"free_delivery\", "
    "\"cost_points\": 400},\n"
    "    {\"id\": \"cashback-5\", \"name\": \"5 EUR cashback\", \"kind\": \"cashback_credit\", "
    "\"value_minor\": 500, \"cost_points\": 600},\n"
    "    {\"id\": \"cashback-voucher\", \"name\": \"Spend 10 EUR of cashback\", \"kind\": "
    "\"fixed_discount\", \"value_minor\": 1000, \"cost_cashback_minor\": 1000},\n"
    "    {\"id\": \"partner-cinema\", \"name\": \"Cinema ticket\", \"kind\": \"partner_offer\", "
    "\"cost_points\": 1500, \"stock\": 500, \"vip_only\": true}\n"
    "  ],\n"
    "  \"expiry\": {\"mode\": \"per_lot\", \"months\": 18},\n"
    "  \"pending_days\": 30,\n"
    "  \"refunds\": {\"allow_negative_balance\": false},\n"
    "  \"cashback\": {\"percent_bp\": 100}\n"
    "}\n";

const char *template_program(const char *name)
{
    if (strcmp(name, "cafe") == 0)
        return CAFE;
    if (strcmp(name, "bakery") == 0)
        return BAKERY;
    if (strcmp(name, "bookshop") == 0)
        return BOOKSHOP;
    if (strcmp(name, "ecommerce") == 0)
        return ECOMMERCE;
    return NULL;
}

/* The templates' words in French: descriptions, names and benefits, as a French shop would
 * write them. A name that speaks of money writes " €" after its amount (the English " EUR"), which
 * the currency's renaming below replaces. */
static const char *const FRENCH[][2] = {
    {"Neighbourhood cafe: a coffee card, points on everything, double points in the quiet "
     "afternoon",
     "Café de quartier : une carte café, des points sur tout, des points doublés l'après-midi aux "
     "heures creuses"},
    {"Double points on weekdays 14:00-16:00", "Points doublés en semaine de 14 h à 16 h"},
    {"Coffee beans x1.5", "Café en grains ×1,5"},
    {"Coffee card", "Carte café"},
    {"Regular", "Habitué"},
    {"Family", "Famille"},
    {"Oat milk on the house", "Lait d'avoine offert"},
    {"Free coffee", "Café offert"},
    {"Free pastry", "Viennoiserie offerte"},
    {"5 EUR off", "5 € de remise"},
    {"Latte art workshop", "Atelier latte art"},
    {"Morning regulars", "Habitués du matin"},
    {"Weekend treat buyers", "Gourmands du week-end"},
    {"New visitors", "Nouveaux visiteurs"},
    {"Bakery: a bread card and triple points in the last hour before closing",
     "Boulangerie : une carte pain et des points triplés la dernière heure avant la fermeture"},
    {"Triple points the last hour", "Points triplés la dernière heure"},
    {"Double points on Sunday cakes", "Points doublés sur les gâteaux du dimanche"},
    {"Bread card", "Carte pain"},
    {"Free loaf", "Pain offert"},
    {"Free fruit tart", "Tarte aux fruits offerte"},
    {"Bookshop: points on spend, tiers by yearly spend, a birthday-worthy catalogue",
     "Librairie : des points sur les achats, des niveaux selon les achats de l'année et des "
     "récompenses pour les grands lecteurs"},
    {"Local authors x2", "Auteurs locaux x2"},
    {"Reader", "Lecteur"},
    {"Bookworm", "Grand lecteur"},
    {"Bibliophile", "Bibliophile"},
    {"Invitations to signings", "Invitations aux dédicaces"},
    {"5 EUR voucher", "Bon d'achat de 5 €"},
    {"Canvas tote bag", "Sac en toile"},
    {"Reserved seat at a signing", "Place réservée à une dédicace"},
    {"Online shop: points after the return period, tiers, a paid club and cashback",
     "Boutique en ligne : des points après le délai de retour, des niveaux, un club payant et du "
     "cashback"},
    {"Online orders x1.2", "Commandes en ligne ×1,2"},
    {"Silver", "Argent"},
    {"Gold", "Or"},
    {"Platinum", "Platine"},
    {"Priority support", "Service client prioritaire"},
    {"Early access", "Accès en avant-première"},
    {"Club", "Club"},
    {"10 EUR off", "10 € de remise"},
    {"15% off", "15\u202f% de remise"},
    {"Free delivery", "Livraison offerte"},
    {"5 EUR cashback", "5 € de cashback"},
    {"Spend 10 EUR of cashback", "Bon de 10 € payé avec votre cagnotte"},
    {"Cinema ticket", "Place de cinéma"},
};

static const char *french(const char *english)
{
    for (size_t i = 0; i < sizeof FRENCH / sizeof *FRENCH; i++)
        if (strcmp(FRENCH[i][0], english) == 0)
            return FRENCH[i][1];
    return NULL;
}

/* Puts the French words in place of the English ones in every "description", "name" and
 * "benefits" of doc, at any depth. */
static void translate(json_t *doc)
{
    const char *key;
    json_t *value;
    size_t i;
    json_t *item;
    if (json_is_array(doc))
        json_array_foreach(doc, i, item) translate(item);
    if (!json_is_object(doc))
        return;
    json_object_foreach(doc, key, value)
    {
        bool words = strcmp(key, "description") == 0 || strcmp(key, "name") == 0;
        const char *fr = words && json_is_string(value) ? french(json_string_value(value)) : NULL;
        if (fr != NULL)
            json_string_set(value, fr);
        else if (strcmp(key, "benefits") == 0)
            json_array_foreach(value, i, item)
            {
                const char *benefit = json_is_string(item) ? french(json_string_value(item)) : NULL;
                if (benefit != NULL)
                    json_string_set(item, benefit);
            }
        else
            translate(value);
    }
}

/* minor units as the shortest amount a person writes: 500 -> "5", 550 -> "5.50" (2 decimals) */
static void amount_text(int64_t minor, int digits, char out[FID_MONEY_TEXT_MAX])
{
    fid_money_format(minor, digits, out);
    char *point = strchr(out, '.');
    if (point && strspn(point + 1, "0") == strlen(point + 1))
        *point = '\0';
}

char *template_program_in(const char *name, const char *currency, int digits, const char *locale)
{
    const char *text = template_program(name);
    if (text == NULL)
        return NULL;
    bool in_french = strcmp(locale, "en") != 0;
    if (strcmp(currency, "EUR") == 0 && !in_french)
        return xstrdup(text); /* the templates are written in English, in euros */
    json_error_t jerr;
    json_t *doc = json_loads(text, JSON_PRESERVE_ORDER, &jerr);
    if (in_french)
        translate(doc);
    size_t i;
    json_t *reward;
    json_array_foreach(json_object_get(doc, "rewards"), i, reward)
    {
        if (strcmp(currency, "EUR") == 0)
            break;
        const char *label = json_string_value(json_object_get(reward, "name"));
        const char *eur = label ? strstr(label, " EUR") : NULL, *sign = " EUR";
        if (eur == NULL && label != NULL && (eur = strstr(label, " €")) != NULL)
            sign = " €";
        if (eur == NULL)
            continue;
        /* the number before " EUR" is the reward's value, or the cashback it spends */
        const char *number = eur;
        while (number > label && number[-1] != ' ')
            number--;
        json_int_t minor = json_integer_value(json_object_get(reward, "value_minor"));
        if (minor == 0)
            minor = json_integer_value(json_object_get(reward, "cost_cashback_minor"));
        char amount[FID_MONEY_TEXT_MAX], renamed[PROGRAM_NAME_MAX];
        amount_text(minor, digits, amount);
        snprintf(renamed, sizeof renamed, "%.*s%s %s%s", (int)(number - label), label, amount,
                 currency, eur + strlen(sign));
        json_object_set_new(reward, "name", json_string(renamed));
    }
    char *dumped = json_dumps(doc, JSON_PRESERVE_ORDER | JSON_INDENT(2));
    json_decref(doc);
    size_t n = strlen(dumped);
    char *out = xmalloc(n + 2);
    memcpy(out, dumped, n);
    memcpy(out + n, "\n", 2);
    free(dumped);
    return out;
}
